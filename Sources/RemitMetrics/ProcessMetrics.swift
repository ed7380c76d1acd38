#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The process's own figures, by the names Prometheus's client libraries use: resident
/// memory, CPU time, open files, start time. Read from `/proc/self` when scraped (Linux).
public enum ProcessMetrics {
    static func register(in registry: MetricsRegistry) {
        let resident = registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        let cpu = MirroredCounter(registry.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."))
        let files = registry.gauge("process_open_fds", "Number of open file descriptors.")
        let maxFiles = registry.gauge("process_max_fds", "Maximum number of open file descriptors.")
        let started = registry.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.")
        let startTime = Date().timeIntervalSince1970 - ProcessInfo.processInfo.systemUptime + bootRelativeStartSeconds()
        registry.onScrape {
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            if let bytes = residentBytes() { resident.set(to: bytes) }
            if let fields = statFields() , fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpu.follow((user + system) / ticks)
            }
            files.set(to: Double((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0))
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFiles.set(to: Double(limit.rlim_cur)) }
            started.set(to: startTime)
        }
    }

    /// This process's resident memory, from `/proc/self/statm` (Linux); nil where it can not be read.
    public static func residentBytes() -> Double? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// `/proc/self/stat` after the command name (which may hold spaces): field 3 onwards.
    private static func statFields() -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return nil
        }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// When the process started, in seconds after the machine booted (field 22, in clock ticks).
    private static func bootRelativeStartSeconds() -> Double {
        guard let fields = statFields(), fields.count > 19, let ticks = Double(fields[19]) else { return 0 }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
