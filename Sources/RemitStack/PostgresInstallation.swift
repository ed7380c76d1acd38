import Foundation

/// Where the PostgreSQL server programs are. Debian keeps them in a versioned directory
/// (`/usr/lib/postgresql/15/bin`) that is not on PATH, and its `pg_config` may be the client's.
public struct PostgresInstallation: Sendable {
    public let binDirectory: String

    public var initdb: String { binDirectory + "/initdb" }
    public var pgCtl: String { binDirectory + "/pg_ctl" }

    public static func locate() throws(StackError) -> PostgresInstallation {
        var candidates: [String] = []
        if let pgConfig = Command.onPath("pg_config"),
            let outcome = try? Command.run(pgConfig, ["--bindir"]), outcome.status == 0
        {
            candidates.append(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append("/usr/lib/postgresql/\(version)/bin")
        }
        if let initdb = Command.onPath("initdb") {
            candidates.append(URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        for directory in candidates {
            let installation = PostgresInstallation(binDirectory: directory)
            if FileManager.default.isExecutableFile(atPath: installation.initdb),
                FileManager.default.isExecutableFile(atPath: installation.pgCtl)
            {
                return installation
            }
        }
        throw StackError("PostgreSQL's server programs (initdb, pg_ctl) were not found; run tools/setup")
    }
}
