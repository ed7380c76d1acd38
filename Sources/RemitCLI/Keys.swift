import ArgumentParser
import RemitCore
import RemitStorage

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the keys that sign access tokens.",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new signing key for each region; the old one keeps verifying the tokens it signed until they expire."
        )
        @OptionGroup var target: IdentityTarget

        func run() async throws {
            try await target.forEach { region, pool in
                let (retired, current) = try await SigningKeyStore(pool: pool, region: region).rotate(by: IdentityTarget.auditContext)
                print("region \(region): signing with key \(current.kid)" + (retired.map { ", retired \($0)" } ?? ""))
            }
            print("nodes pick the new keys up within \(Limits.signingKeysReloadMilliseconds / 1_000) s")
        }
    }
}
