import Foundation
import Hummingbird

/// The web console: static HTML, CSS and ES modules (no build step), served by the router and
/// by each node, so a region can be looked at directly. Bootstrap comes from Debian's
/// `libjs-bootstrap5`, served from where it is installed (`tools/setup` installs it); nothing
/// is fetched from elsewhere, and the pages run under the same strict CSP as every answer.
public enum ConsoleFiles {
    /// Where Debian's libjs-bootstrap5 puts Bootstrap's `css/` and `js/`.
    public static let bootstrapDirectory = "/usr/share/javascript/bootstrap5"

    /// The console's own files, as the build copied them next to the executable.
    public static var directory: String {
        Bundle.module.url(forResource: "Console", withExtension: nil)!.path
    }

    /// `/` sends a browser to the console; `/console/…` and `/vendor/bootstrap/…` are files.
    /// Anything else goes on to the routes after.
    public static func add<Context: RequestContext>(to router: Router<Context>) {
        router.middlewares.add(FileMiddleware(directory, urlBasePath: "/console", searchForIndexHtml: true))
        router.middlewares.add(FileMiddleware(bootstrapDirectory, urlBasePath: "/vendor/bootstrap"))
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: "/console/"])
        }
    }
}
