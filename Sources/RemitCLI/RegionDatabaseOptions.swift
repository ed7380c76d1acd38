import ArgumentParser
import RemitCore

/// The region whose database an auditor's command reads: a region of the local stack, or any
/// database by URL.
struct RegionDatabaseOptions: ParsableArguments {
    @Option(help: "The region to read, in the stack of --data-dir (default: the first of --regions).")
    var region: RegionName?

    @Option(help: "The region's database (libpq URL), instead of --region. Default: $REMIT_DATABASE_URL.")
    var databaseURL: String?

    @OptionGroup var stack: StackOptions

    func validate() throws {
        if region != nil && databaseURL != nil { throw ValidationError("pass --region or --database-url, not both") }
    }

    var url: String {
        get throws { try stack.regionDatabaseURL(region, databaseURL) }
    }
}
