import ArgumentParser
import Foundation
import RemitCore
import RemitStack

/// Options `remit up` and `remit clusters` share: where the data lives and which regions exist.
struct StackOptions: ParsableArguments {
    @Option(help: "Where the clusters, logs and secrets live.")
    var dataDir = ".remit"

    @Option(help: "The regions, comma-separated; the first is the initial writer.")
    var regions = "east,west"

    @Option(help: "PostgreSQL port of the first region; the next regions take the following ports.")
    var postgresPort = 15432

    func regionNames() throws -> [RegionName] {
        let names = regions.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let parsed = try names.map { name in
            guard let region = RegionName(rawValue: name) else {
                throw ValidationError("\(name) is not a region name (lowercase letters, digits and '-', starting with a letter)")
            }
            return region
        }
        guard !parsed.isEmpty else { throw ValidationError("name at least one region") }
        guard Set(parsed).count == parsed.count else { throw ValidationError("a region is named twice in --regions") }
        return parsed
    }

    /// A region's database URL in the embedded stack (each region's cluster takes the port after
    /// the one before).
    func databaseURL(_ region: RegionName) throws -> String {
        guard let index = try regionNames().firstIndex(of: region) else {
            throw ValidationError("\(region) is not one of the regions (--regions)")
        }
        return try LocalCluster.databaseURL(dataDirectory: absoluteDataDirectory, region: region, port: postgresPort + index)
    }

    /// The database a one-region command reads: `region`'s in this stack, else `databaseURL`
    /// (or $REMIT_DATABASE_URL), else the first region's.
    func regionDatabaseURL(_ region: RegionName?, _ databaseURL: String?) throws -> String {
        if let region { return try self.databaseURL(region) }
        if databaseURL != nil || ProcessInfo.processInfo.environment["REMIT_DATABASE_URL"] != nil {
            return try resolveDatabaseURL(databaseURL)
        }
        return try self.databaseURL(try regionNames()[0])
    }

    /// Every region's database URL, in `--regions` order.
    func regionURLs() throws -> [(RegionName, String)] {
        try regionNames().map { name in (name, try databaseURL(name)) }
    }

    /// A password from `file`, or else the first admin's, as `remit up` wrote it.
    func adminPassword(from file: String? = nil) throws -> String {
        let path = file ?? EmbeddedStack.adminPasswordFile(dataDirectory: absoluteDataDirectory)
        guard let password = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw ValidationError("can not read the password in \(path)")
        }
        return password
    }

    var absoluteDataDirectory: String {
        URL(fileURLWithPath: dataDir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }
}

/// Holds an exclusive lock on `<data-dir>/up.lock` while this process lives. The kernel drops
/// it when the process dies, however it dies, so no stale lock ever blocks the next run.
final class DataDirectoryLock {
    private let descriptor: Int32

    init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = dataDirectory + "/up.lock"
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StackError("can not open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StackError("another remit is already using \(dataDirectory)")
        }
    }

    deinit {
        close(descriptor)
    }
}

/// The path of the running `remit` binary, for starting children.
func currentExecutable() -> String {
    Bundle.main.executablePath ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}
