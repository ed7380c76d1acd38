/// What a region may do with its log. Stored in the region state row; the append transaction
/// checks it, so a region that is not the writer can not append whatever its nodes believe.
public enum RegionRole: String, Sendable, Codable, CaseIterable {
    /// Accepts appends at its epoch.
    case writer
    /// Applies the writer's log; accepts no appends.
    case reader
    /// Was the writer; closed by a failover and waiting to become a reader.
    case fenced
}
