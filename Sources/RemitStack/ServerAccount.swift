import Foundation

/// The account the PostgreSQL server runs as. The server refuses to run as root, so when we
/// are root it runs as `postgres` (Debian's server account) or, failing that, a system account
/// `remit-pg` that we create; otherwise it runs as us.
public struct ServerAccount: Sendable {
    /// nil: run as the current user.
    public let name: String?
    let userID: uid_t
    let groupID: gid_t

    public static let createdAccountName = "remit-pg"

    public static func resolve() throws(StackError) -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(name: nil, userID: geteuid(), groupID: getegid()) }
        for name in ["postgres", createdAccountName] {
            if let account = lookUp(name) { return account }
        }
        guard let useradd = Command.onPath("useradd") else {
            throw StackError("running as root and no account can run PostgreSQL: useradd is missing")
        }
        try Command.check(
            useradd, ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", createdAccountName],
            what: "creating the \(createdAccountName) account"
        )
        guard let account = lookUp(createdAccountName) else {
            throw StackError("created \(createdAccountName) but can not find it")
        }
        return account
    }

    private static func lookUp(_ name: String) -> ServerAccount? {
        guard let entry = getpwnam(name) else { return nil }
        return ServerAccount(name: name, userID: entry.pointee.pw_uid, groupID: entry.pointee.pw_gid)
    }

    /// Runs a program as this account and throws with its output on failure.
    @discardableResult
    func check(_ executable: String, _ arguments: [String], what: String) throws(StackError) -> String {
        let (program, fullArguments) = try wrap(executable, arguments)
        return try Command.check(program, fullArguments, what: what)
    }

    func run(_ executable: String, _ arguments: [String]) throws(StackError) -> Command.Outcome {
        let (program, fullArguments) = try wrap(executable, arguments)
        return try Command.run(program, fullArguments)
    }

    private func wrap(_ executable: String, _ arguments: [String]) throws(StackError) -> (String, [String]) {
        guard let name else { return (executable, arguments) }
        guard let runuser = Command.onPath("runuser") ?? ["/usr/sbin/runuser", "/sbin/runuser"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) else {
            throw StackError("runuser (util-linux) is missing; run tools/setup")
        }
        return (runuser, ["-u", name, "--", executable] + arguments)
    }

    /// Gives a file or directory to this account.
    func own(_ path: String) throws(StackError) {
        guard name != nil else { return }
        guard chown(path, userID, groupID) == 0 else {
            throw StackError("can not give \(path) to \(name!): \(String(cString: strerror(errno)))")
        }
    }

    /// True when this account can enter `directory` (every parent searchable by it).
    func canReach(_ directory: String) -> Bool {
        guard name != nil else { return true }
        return (try? run("/usr/bin/test", ["-x", directory]))?.status == 0
    }

    /// Checks that this account can reach `directory` (every parent must be searchable by it),
    /// so that a data directory under, say, /root fails with a clear reason, not deep in initdb.
    func checkCanReach(_ directory: String) throws(StackError) {
        guard let name else { return }
        guard canReach(directory) else {
            throw StackError(
                "the PostgreSQL account \(name) can not reach \(directory); choose a --data-dir whose parent folders others may enter (such as one under /tmp or /var/lib)"
            )
        }
    }
}
