import ArgumentParser
import RemitCore

/// How often the writer signs a checkpoint of its log with at least one new event (it also
/// signs one every `Limits.checkpointEventsMax` events). `remit up` passes its own on.
struct CheckpointOption: ParsableArguments {
    @Option(help: "Sign a checkpoint of the log at most this many milliseconds after a new event (1000 to 3600000).")
    var checkpointMilliseconds: Int64 = Limits.checkpointIntervalMilliseconds

    func validate() throws {
        guard (1_000...3_600_000).contains(checkpointMilliseconds) else {
            throw ValidationError("--checkpoint-milliseconds must be 1000 to 3600000")
        }
    }
}
