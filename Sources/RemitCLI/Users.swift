import ArgumentParser
import Foundation
import RemitAuth
import RemitStorage

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage who may sign in and with which roles (every change is audited).",
        subcommands: [Add.self, Disable.self, Enable.self, Passwd.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with one or more roles: clerk, auditor, operator, admin.")

        @Argument(help: "The user's name.") var name: String
        @Option(name: .customLong("role"), help: "A role; repeat for several.") var roles: [String] = []
        @Flag(help: "Read the password from the first line of standard input instead of generating one.") var passwordStdin = false
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            let user = try userName(name)
            guard !roles.isEmpty, let parsed = Role.parse(roles) else {
                throw ValidationError("name one or more roles with --role: " + Role.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let (password, generated) = try readOrGeneratePassword(passwordStdin)
            let seal = target.seal.seal(Passwords.hash(password))
            try await target.onWriter { region, pool in
                _ = try await IdentityStore(pool: pool, region: region).addUser(name: user, roles: parsed, passwordSeal: seal, by: IdentityTarget.auditContext)
                print("added \(user) with roles \(parsed.sorted().map(\.rawValue).joined(separator: ", ")) at the writer, \(region)")
            }
            if generated { print("password for \(user): \(password)") }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: no new sign-ins or refreshes at once; issued access tokens lapse within their lifetime."
        )
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            try await setDisabled(name, true, target)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            try await setDisabled(name, false, target)
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password; their refresh tokens are revoked.")
        @Argument(help: "The user's name.") var name: String
        @Flag(help: "Read the password from the first line of standard input instead of generating one.") var passwordStdin = false
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            let user = try userName(name)
            let (password, generated) = try readOrGeneratePassword(passwordStdin)
            let seal = target.seal.seal(Passwords.hash(password))
            try await target.onWriter { region, pool in
                _ = try await IdentityStore(pool: pool, region: region).setPassword(user, passwordSeal: seal, by: IdentityTarget.auditContext)
                print("new password for \(user) at the writer, \(region)")
            }
            if generated { print("password for \(user): \(password)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users as each region's copy shows them (never a password or its hash).")
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            try await target.forEach { region, pool in
                for user in try await IdentityStore(pool: pool, region: region).users() {
                    let roles = user.roles.sorted().map(\.rawValue).joined(separator: ",")
                    print("\(region)\t\(user.name)\t\(roles)\t\(user.disabled ? "disabled" : "enabled")")
                }
            }
        }
    }
}

/// Disables or enables a user at the writer.
private func setDisabled(_ name: String, _ disabled: Bool, _ target: IdentityTarget) async throws {
    let user = try userName(name)
    try await target.onWriter { region, pool in
        _ = try await IdentityStore(pool: pool, region: region).setDisabled(user, disabled, by: IdentityTarget.auditContext)
        print("\(disabled ? "disabled" : "enabled") \(user) at the writer, \(region)")
    }
}

func userName(_ text: String) throws -> UserName {
    guard let name = UserName(rawValue: text) else { throw ValidationError(UserName.rule) }
    return name
}

/// A password from standard input's first line, or a generated one (then `generated` is true).
func readOrGeneratePassword(_ fromStandardInput: Bool) throws -> (password: String, generated: Bool) {
    guard fromStandardInput else { return (Passwords.generate(), true) }
    guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
    if let problem = Passwords.problem(line) { throw ValidationError(problem) }
    return (line, false)
}
