import RemitStack
import Testing

@Suite struct ListenAddressTests {
    @Test(arguments: ["10.213.7.2", "0.0.0.0", "::1", "fd00::2"])
    func addressLiteralsAreTaken(text: String) {
        #expect(ListenAddress(text)?.rawValue == text)
    }

    /// The address reaches a shell through pg_ctl: nothing but a literal may pass.
    @Test(arguments: ["", "localhost", "10.0.0.1 -c fsync=off", "10.0.0.1;true", "10.0.0.256", "*"])
    func anythingElseIsRefused(text: String) {
        #expect(ListenAddress(text) == nil)
    }
}
