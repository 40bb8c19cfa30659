import Testing

@testable import Server

@Suite("Token secrets")
struct SecretsTests {
    @Test func hashIsSHA256() {
        // The FIPS 180-2 test vector for "abc".
        #expect(Secrets.hex(Secrets.hash("abc"))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func secretsAreLongAndNeverRepeat() {
        let secrets = (0..<100).map { _ in Secrets.newSecret() }
        #expect(Set(secrets).count == 100)
        #expect(secrets.allSatisfy { $0.hasPrefix("mon_") && $0.count == 68 })
    }
}
