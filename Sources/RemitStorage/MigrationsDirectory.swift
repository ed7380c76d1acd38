import Foundation

/// Finds the `Migrations/` folder: given explicitly, from `REMIT_MIGRATIONS_DIR`, or the one in
/// the source tree the running binary was built from (walking up from the executable and from
/// the working directory to a folder that holds both `Package.swift` and `Migrations/`).
public enum MigrationsDirectory {
    public static let environmentVariable = "REMIT_MIGRATIONS_DIR"

    public static func locate(explicit: String? = nil) throws(MigrationError) -> String {
        if let explicit { return explicit }
        if let fromEnvironment = ProcessInfo.processInfo.environment[environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        let starts = [executable.deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var directory = start.standardizedFileURL
            while directory.path != "/" {
                let candidate = directory.appendingPathComponent("Migrations")
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
                    FileManager.default.fileExists(atPath: candidate.path)
                {
                    return candidate.path
                }
                directory.deleteLastPathComponent()
            }
        }
        throw MigrationError(
            code: .unreadable,
            message: "can not find the Migrations folder; pass --migrations-dir or set \(environmentVariable)"
        )
    }
}
