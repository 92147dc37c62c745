import ReconChain
import Testing

struct ABIValueTests {
    func reason(_ text: String, as type: ABIType) -> String? {
        do {
            _ = try ABIValue(parsing: text, as: type)
            return nil
        } catch {
            #expect(error.kind == .invalidValue)
            return error.message
        }
    }

    @Test func parsesEachTypeFromText() throws {
        #expect(try ABIValue(parsing: "42", as: .uint256) == .uint(42))
        #expect(try ABIValue(parsing: "255", as: .uint8) == .uint(255))
        #expect(try ABIValue(parsing: "-128", as: .int(bits: 8)) == .int(-128))
        #expect(try ABIValue(parsing: "0xcA11bde05977b3631167028862bE2a173976CA11", as: .address) == .address(knownContract))
        #expect(try ABIValue(parsing: "true", as: .bool) == .bool(true))
        #expect(try ABIValue(parsing: "false", as: .bool) == .bool(false))
        #expect(try ABIValue(parsing: "0x0102", as: .fixedBytes(count: 2)) == .fixedBytes([1, 2]))
    }

    @Test func refusesTextThatDoesNotFitTheType() {
        #expect(reason("256", as: .uint8) == "256 does not fit in uint8")
        #expect(reason("-1", as: .uint256) == "'-1' is not a uint256: write an unsigned decimal integer")
        #expect(reason("1e6", as: .uint256) == "'1e6' is not a uint256: write an unsigned decimal integer")
        #expect(reason("128", as: .int(bits: 8)) == "128 does not fit in int8")
        #expect(reason("-129", as: .int(bits: 8)) == "-129 does not fit in int8")
        #expect(reason("x", as: .int256) == "'x' is not an int256: write a decimal integer")
        #expect(reason("0x12", as: .address) == "'0x12' is not an address: it has 1 bytes, an address has 20")
        #expect(reason("yes", as: .bool) == "'yes' is not a bool: write true or false")
        #expect(reason("True", as: .bool) == "'True' is not a bool: write true or false")
        #expect(reason("0x01", as: .bytes32) == "'0x01' is 1 bytes; bytes32 takes 32")
        #expect(reason("0x0g", as: .fixedBytes(count: 1)) == "'0x0g' is not a bytes1: 'g' is not a hex digit")
    }

    @Test func describesItself() throws {
        #expect(ABIValue.uint(.max).description == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(ABIValue.int(-5).description == "-5")
        #expect(ABIValue.address(try EthereumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")).description == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(ABIValue.bool(true).description == "true")
        #expect(ABIValue.fixedBytes([0xAB, 0x01]).description == "0xab01")
    }
}
