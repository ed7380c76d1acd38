import Foundation
import RemitCore
import RemitPostgres

/// One region's PostgreSQL cluster under the stack's data directory, listening on loopback (and
/// on the addresses `start(listenAddresses:)` names).
///
///     <data-dir>/regions/<region>/pgdata          the cluster (owned by the server account)
///     <data-dir>/regions/<region>/postgres.log    the server's log
///     <data-dir>/regions/<region>/database-url    how to connect, with the password (mode 0600)
///
/// When we are root and the server account can not enter the data directory (under /root,
/// say), `pgdata` and `postgres.log` live in `/var/lib/remit/clusters/<id>/<region>` instead,
/// which `<data-dir>/regions/<region>/server` links to.
public struct LocalCluster: Sendable {
    public static let databaseName = "remit"
    public static let superuserName = "remit"

    /// What `remit up` gives each region's PostgreSQL as its own cache (`shared_buffers`): 1 GB,
    /// or an eighth of the machine's memory when that is less. The remittance table of a million
    /// rows and its sort and trigram indexes (~1 GB, `remit bench table`) then stay in it,
    /// instead of being copied in from the kernel's page cache on every page the console asks for.
    public static var stackCacheMegabytes: UInt64 {
        max(128, min(1_024, ProcessInfo.processInfo.physicalMemory / 8 / 1_048_576))
    }

    public let region: RegionName
    public let directory: String
    public let port: Int
    let installation: PostgresInstallation
    let account: ServerAccount

    public init(region: RegionName, dataDirectory: String, port: Int, installation: PostgresInstallation, account: ServerAccount) {
        self.region = region
        self.directory = dataDirectory + "/regions/" + region.rawValue
        self.port = port
        self.installation = installation
        self.account = account
    }

    /// Where the server's own files are: the region directory, or where its `server` link points.
    var serverDirectory: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/server")) ?? directory
    }

    public var clusterDirectory: String { serverDirectory + "/pgdata" }
    public var logFile: String { serverDirectory + "/postgres.log" }

    static let outsideRoot = "/var/lib/remit/clusters"
    var urlFile: String { directory + "/database-url" }

    /// The URL of the region's database, with its password: pass it to children through the
    /// environment, never on a command line, and never log it.
    public func databaseURL() throws(StackError) -> String {
        try connectionURL(database: Self.databaseName)
    }

    /// Creates the cluster the first time; later calls find it and change nothing.
    /// - Parameter cacheMegabytes: `shared_buffers`; PostgreSQL's default (128 MB) when nil, as
    ///   for the clusters of `tools/test`, whose tests create and drop a database each.
    /// - Parameter throwaway: clusters of `tools/test`, deleted after the run: `fsync = off`. Each
    ///   test makes a database, and a checkpoint that had to sync the files of all of them (12,168
    ///   in one run) took 25 s, stalling every test that waited for one (each `DROP DATABASE` does).
    ///   A crash of the machine would lose their data, which is thrown away anyway; a killed
    ///   PostgreSQL loses nothing (the kernel still has the writes).
    public func initializeIfNeeded(cacheMegabytes: UInt64? = nil, throwaway: Bool = false) throws(StackError) {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: clusterDirectory + "/PG_VERSION") { return }
        try createDirectory(directory, mode: 0o755)
        if !account.canReach(serverDirectory) {
            try placeServerFilesOutside()
        }
        try account.checkCanReach(serverDirectory)
        try createDirectory(clusterDirectory, mode: 0o700)
        try account.own(clusterDirectory)

        let password = Self.randomPassword()
        // initdb reads the password from a file; it lives only as long as initdb runs.
        let passwordFile = serverDirectory + "/initdb-password"
        try write(password, to: passwordFile, mode: 0o600)
        try account.own(passwordFile)
        defer { try? fileManager.removeItem(atPath: passwordFile) }
        try account.check(
            installation.initdb,
            [
                "--pgdata=\(clusterDirectory)", "--username=\(Self.superuserName)", "--pwfile=\(passwordFile)",
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions",
            ],
            what: "initdb for region \(region)"
        )
        // Loopback only, and no Unix socket: nothing outside this machine can reach the cluster,
        // and nothing depends on /var/run/postgresql existing or being ours.
        let settings = """

            # Added by remit up.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = ''
            # Two regions' nodes, the router's checks, operators' commands and (under tools/test)
            # many tests at once, each with a bounded pool: more than the default 100.
            max_connections = 400
            # Every create is a log row and a row of the views (22 indexes) in each region, and
            # after a checkpoint the first change to a page writes the whole page to the WAL. With
            # the default 1 GB a busy region checkpointed every 20 s and wrote 9,800 bytes of WAL
            # per create; with 4 GB, 15 minutes and whole pages compressed, 5,400, and the
            # reader's tail of replication lag shortened (`remit bench replication`). The price:
            # up to 4 GB of WAL kept, and a longer recovery after a crash.
            max_wal_size = 4GB
            checkpoint_timeout = 15min
            wal_compression = lz4
            """ + (cacheMegabytes.map { "\nshared_buffers = \($0)MB\n" } ?? "") + (throwaway ? "\nfsync = off\n" : "")
        guard let handle = FileHandle(forWritingAtPath: clusterDirectory + "/postgresql.conf") else {
            throw StackError("can not open postgresql.conf of region \(region)")
        }
        handle.seekToEndOfFile()
        handle.write(Data(settings.utf8))
        handle.closeFile()
        try write(
            "postgresql://\(Self.superuserName):\(password)@127.0.0.1:{port}/{database}\n",
            to: urlFile, mode: 0o600
        )
    }

    /// Gives the server its own directory where it can reach it, linked from the region directory.
    private func placeServerFilesOutside() throws(StackError) {
        guard account.name != nil else {
            throw StackError("can not reach \(directory) as the PostgreSQL server's account")
        }
        let home = Self.outsideRoot + "/" + UUID().uuidString.lowercased() + "/" + region.rawValue
        try createDirectory(home, mode: 0o755)
        do {
            try FileManager.default.createSymbolicLink(atPath: directory + "/server", withDestinationPath: home)
        } catch {
            throw StackError("can not link \(directory)/server to \(home): \(error.localizedDescription)")
        }
    }

    /// Starts the cluster. A server left running by an earlier run that died is stopped first,
    /// so that this run's settings (such as the port) apply.
    /// - Parameter listenAddresses: addresses to listen on besides loopback, for a region whose
    ///   node or whose peers' failover runbooks reach its database from another host (or network
    ///   namespace, as in `tools/e2e/partition.sh`); clients on those hosts' subnets then connect
    ///   with the password. None: loopback only.
    public func start(listenAddresses: [ListenAddress] = []) throws(StackError) {
        if isRunning() { try stop() }
        if !FileManager.default.fileExists(atPath: logFile) {
            try write("", to: logFile, mode: 0o640)
        }
        try account.own(logFile)
        var serverOptions = "-p \(port)"
        if !listenAddresses.isEmpty {
            try allowSameSubnets()
            serverOptions += " -c listen_addresses=" + (["127.0.0.1"] + listenAddresses.map(\.rawValue)).joined(separator: ",")
        }
        let outcome = try account.run(
            installation.pgCtl,
            [
                "--pgdata=\(clusterDirectory)", "--log=\(logFile)", "--wait",
                "--timeout=\(Limits.startupTimeoutMilliseconds / 1000)", "-o", serverOptions, "start",
            ]
        )
        guard outcome.status == 0 else {
            let serverLog = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            let lastLines = serverLog.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw StackError("PostgreSQL for region \(region) did not start on port \(port): \(lastLines)")
        }
        // Only now: a running remit up would otherwise start it too, at the same moment.
        try? FileManager.default.removeItem(atPath: holdFile)
    }

    /// Lets clients on the subnets of the server's own addresses connect with the password
    /// (`samenet`), added once to `pg_hba.conf`; loopback was allowed from the start.
    private func allowSameSubnets() throws(StackError) {
        let path = clusterDirectory + "/pg_hba.conf"
        let line = "host all all samenet scram-sha-256"
        guard let rules = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw StackError("can not read pg_hba.conf of region \(region)")
        }
        if rules.contains(line) { return }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw StackError("can not open pg_hba.conf of region \(region)")
        }
        handle.seekToEndOfFile()
        handle.write(Data("\n# Added by remit clusters start --listen-address.\n\(line)\n".utf8))
        handle.closeFile()
    }

    /// Creates the region's database if it is missing.
    public func createDatabaseIfNeeded() throws(StackError) {
        do {
            let connection = try PostgresConnection(url: try connectionURL(database: "postgres"), applicationName: "remit up")
            let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [Self.databaseName])
            if exists.isEmpty {
                try connection.query("CREATE DATABASE " + (try connection.quoteIdentifier(Self.databaseName)))
            }
        } catch let error as StackError {
            throw error
        } catch {
            throw StackError("can not create the database of region \(region): \(error)")
        }
    }

    /// Stops the cluster (fast mode: running transactions are rolled back, nothing committed is
    /// lost). With `holding`, a running `remit up` leaves it down until it is started again.
    public func stop(holding: Bool = false) throws(StackError) {
        if holding { try holdRestarts() }
        guard isRunning() else { return }
        try account.check(
            installation.pgCtl,
            ["--pgdata=\(clusterDirectory)", "--mode=fast", "--wait", "--timeout=60", "stop"],
            what: "stopping PostgreSQL for region \(region)"
        )
    }

    /// Kills the server's postmaster with SIGKILL, as the loss of the region would: for
    /// benchmarks and drills of a forced failover, so `remit up` leaves it down. `start()`
    /// brings it back (crash recovery replays its WAL: nothing it committed is lost).
    public func kill() throws(StackError) {
        try holdRestarts()
        guard let text = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8),
            let line = text.split(separator: "\n").first, let pid = pid_t(line.trimmingCharacters(in: .whitespaces))
        else { throw StackError("PostgreSQL for region \(region) is not running (no postmaster.pid)") }
        guard Foundation.kill(pid, SIGKILL) == 0 else {
            throw StackError("can not kill PostgreSQL for region \(region) (pid \(pid)): \(String(cString: strerror(errno)))")
        }
    }

    /// While this file exists, `remit up` leaves the cluster down (`remit clusters stop` makes it,
    /// `start()` removes it): maintenance, or a drill of a region that is lost for good.
    public var holdFile: String { directory + "/no-restart" }

    public var restartsHeld: Bool { FileManager.default.fileExists(atPath: holdFile) }

    public func holdRestarts() throws(StackError) {
        try write("remit up leaves this region's PostgreSQL down while this file exists\n", to: holdFile, mode: 0o644)
    }

    /// Whether the postmaster named in `postmaster.pid` is alive: cheaper than `isRunning()`
    /// (no `pg_ctl`), for `remit up` to look every fraction of a second.
    public func postmasterAlive() -> Bool {
        guard let text = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8),
            let line = text.split(separator: "\n").first, let pid = pid_t(line.trimmingCharacters(in: .whitespaces))
        else { return false }
        return Foundation.kill(pid, 0) == 0 || errno == EPERM
    }

    public func isRunning() -> Bool {
        guard FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") else { return false }
        let outcome = try? account.run(installation.pgCtl, ["--pgdata=\(clusterDirectory)", "status"])
        return outcome?.status == 0
    }

    private func connectionURL(database: String) throws(StackError) -> String {
        try Self.connectionURL(urlFile: urlFile, region: region, port: port, database: database)
    }

    /// The URL of `region`'s database in a data directory made by `remit up`, for tools that
    /// only need to connect (benchmarks): no server account or PostgreSQL installation needed.
    public static func databaseURL(dataDirectory: String, region: RegionName, port: Int) throws(StackError) -> String {
        let urlFile = dataDirectory + "/regions/" + region.rawValue + "/database-url"
        return try connectionURL(urlFile: urlFile, region: region, port: port, database: databaseName)
    }

    private static func connectionURL(urlFile: String, region: RegionName, port: Int, database: String) throws(StackError) -> String {
        guard let template = try? String(contentsOfFile: urlFile, encoding: .utf8) else {
            throw StackError("region \(region) has no \(urlFile); its cluster was not made by remit up")
        }
        return template.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "{port}", with: String(port))
            .replacingOccurrences(of: "{database}", with: database)
    }

    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.hex
    }
}

func createDirectory(_ path: String, mode: Int) throws(StackError) {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
    } catch {
        throw StackError("can not create \(path): \(error.localizedDescription)")
    }
}

func write(_ text: String, to path: String, mode: Int) throws(StackError) {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
        throw StackError("can not write \(path)")
    }
}
