import ReconChain
import Testing

struct EthereumAddressTests {
    func failure(_ text: String) -> AddressError? {
        do {
            _ = try EthereumAddress(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        // EIP-55's own examples: all caps, all lower, normal; each is its own checksum.
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        // Multicall3, as deployed.
        "0xcA11bde05977b3631167028862bE2a173976CA11",
    ])
    func checksumsTheSpecVectors(text: String) throws {
        let address = try EthereumAddress(text)
        #expect(address.checksummed == text)
        #expect(try EthereumAddress(address.checksummed) == address)
        #expect(try EthereumAddress(address.lowercased) == address)
        #expect(address.lowercased == text.lowercased())
    }

    @Test func writesTheChecksumOfLowercaseInput() throws {
        #expect(try EthereumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").description == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(try EthereumAddress("fb6916095ca1df60bb79ce92ce3ea74c37c5d359").checksummed == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
        #expect(try EthereumAddress("0xDBF03B407C01E7CD3CBEA99509D93F8DDDC8C6FB").checksummed == "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB")
        #expect(try EthereumAddress("D1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb").checksummed == "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb")
    }

    @Test func refusesAWrongChecksumWithoutSuggestingOne() {
        let error = failure("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
        #expect(error == AddressError(.badChecksum, "'0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD' has mixed case that is not its EIP-55 checksum; check the address for a typo"))
        #expect(failure("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee")?.kind == .badChecksum)
    }

    @Test func refusesTheWrongLength() {
        #expect(failure("0x1234")?.description == "'0x1234' is not an address: it has 2 bytes, an address has 20")
        #expect(failure("0x")?.kind == .wrongLength)
        #expect(failure("0x" + String(repeating: "00", count: 32))?.kind == .wrongLength)
    }

    @Test func refusesNonHex() {
        #expect(failure("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeZ")?.description
            == "'0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeZ' is not an address: 'Z' is not a hex digit at column 42")
        #expect(failure("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe")?.kind == .invalidHex)
        #expect(failure("")?.kind == .wrongLength)
    }

    @Test func buildsFromExactlyTwentyBytes() {
        let bytes = [UInt8](repeating: 0xAB, count: 20)
        #expect(EthereumAddress(bytes: bytes)?.lowercased == "0x" + String(repeating: "ab", count: 20))
        #expect(EthereumAddress(bytes: bytes.dropLast()) == nil)
        #expect(EthereumAddress(bytes: bytes + [0]) == nil)
    }
}
