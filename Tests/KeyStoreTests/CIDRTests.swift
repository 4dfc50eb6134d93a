import KeyStore
import Testing

/// Allowlist entries: strict parsing, canonical forms, and matching (IPv4-mapped peers included).
@Suite struct CIDRTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("0.0.0.0/0", "0.0.0.0/0"), ("192.168.1.7/32", "192.168.1.7/32"),
        ("2001:DB8::/32", "2001:db8::/32"), ("::/0", "::/0"), ("::1/128", "::1/128"),
        ("2001:db8:0:0:0:0:0:0/48", "2001:db8::/48"),
    ])
    func validEntries_parseToTheirCanonicalForm(text: String, canonical: String) throws {
        #expect(try CIDR(parsing: text).description == canonical)
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0/24", "10.0.0.0.0/24",
                      "256.0.0.0/8", "010.0.0.0/8", "10.0.0.0/08", "10.0.0.0/-1", "fe80::1%eth0/64", "::1/129",
                      "2001:db8::1/32", "10.0.0.0/8/8", " 10.0.0.0/8", "", "a.b.c.d/8"])
    func malformedEntries_areRefused(text: String) {
        #expect(throws: CIDR.ParseError.self) { try CIDR(parsing: text) }
    }

    @Test func contains_matchesItsRange_andIPv4MappedPeers() throws {
        let loopback = try CIDR(parsing: "127.0.0.0/8")
        #expect(loopback.contains(try #require(CIDR.address("127.0.0.2"))))
        #expect(loopback.contains(try #require(CIDR.address("::ffff:127.9.9.9"))))
        #expect(!loopback.contains(try #require(CIDR.address("128.0.0.1"))))
        #expect(!loopback.contains(try #require(CIDR.address("::1"))))
        let v6 = try CIDR(parsing: "2001:db8::/32")
        #expect(v6.contains(try #require(CIDR.address("2001:db8:ffff::1"))))
        #expect(!v6.contains(try #require(CIDR.address("2001:db9::1"))))
        #expect(!v6.contains(try #require(CIDR.address("10.0.0.1"))))
        let odd = try CIDR(parsing: "10.1.128.0/17")
        #expect(odd.contains(try #require(CIDR.address("10.1.255.255"))))
        #expect(!odd.contains(try #require(CIDR.address("10.1.127.255"))))
    }
}
