import Foundation
import Hummingbird

/// The web console: static HTML, CSS and ES modules (no build step), served by the router and
/// by each node, so a region can be looked at directly. Bootstrap and Chart.js come from
/// Debian's `libjs-bootstrap5` and `libjs-chart.js` (`tools/setup` installs them), served from
/// where they are installed; nothing is fetched from elsewhere, and the pages run under the
/// same strict CSP as every answer.
public enum ConsoleFiles {
    /// Where Debian's libjs-bootstrap5 puts Bootstrap's `css/` and `js/`.
    public static let bootstrapDirectory = "/usr/share/javascript/bootstrap5"

    /// Where Debian's libjs-chart.js puts Chart.js (`chart.mjs`, an ES module).
    public static let chartDirectory = "/usr/share/javascript/chart.js"

    /// The console's own files, as the build copied them next to the executable.
    public static var directory: String {
        Bundle.module.url(forResource: "Console", withExtension: nil)!.path
    }

    /// `/` sends a browser to the console; `/console/…`, `/vendor/bootstrap/…` and
    /// `/vendor/chart.js/…` are files.
    /// Anything else goes on to the routes after.
    public static func add<Context: RequestContext>(to router: Router<Context>) {
        router.middlewares.add(FileMiddleware(directory, urlBasePath: "/console", searchForIndexHtml: true))
        router.middlewares.add(FileMiddleware(bootstrapDirectory, urlBasePath: "/vendor/bootstrap"))
        router.middlewares.add(FileMiddleware(chartDirectory, urlBasePath: "/vendor/chart.js"))
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: "/console/"])
        }
    }
}
