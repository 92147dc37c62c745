import ReconChain
import Testing

struct ABIEncoderTests {
    let withdrawn = try! ViewSignature(parsing: "getWithdrawnAmount(uint256) returns (uint128)")

    func word(_ value: ABIValue, as type: ABIType) throws -> String { Hex.encode(try ABIEncoder.encode(value, as: type), prefix: false) }

    func failure(_ value: ABIValue, as type: ABIType) -> ABIError? {
        do {
            _ = try ABIEncoder.encode(value, as: type)
            return nil
        } catch {
            return error
        }
    }

    @Test func encodesAStreamIdCall() throws {
        let calldata = try withdrawn.encodeCall([.uint(7)])
        #expect(Hex.encode(calldata) == "0xd511609f0000000000000000000000000000000000000000000000000000000000000007")
        let big = try withdrawn.encodeCall([.uint(UInt256("115792089237316195423570985008687907853269984665640564039457584007913129639935")!)])
        #expect(Hex.encode(big) == "0xd511609f" + String(repeating: "f", count: 64))
        let fromText = try withdrawn.encodeCall([ABIValue(parsing: "7", as: .uint256)])
        #expect(fromText == calldata)
    }

    @Test func encodesCallsWithoutArgumentsAsTheSelector() throws {
        let next = try ViewSignature(parsing: "nextStreamId() returns (uint256)")
        #expect(try next.encodeCall([]) == [0x1E, 0x99, 0xD5, 0x69])
    }

    @Test func encodesSeveralArgumentsInOrder() throws {
        let signature = try ViewSignature(parsing: "f(address,bool,int8,bytes4) returns (bool)")
        let calldata = try signature.encodeCall([.address(knownContract), .bool(true), .int(-1), .fixedBytes([0xDE, 0xAD, 0xBE, 0xEF])])
        #expect(calldata.count == 4 + 4 * 32)
        #expect(Hex.encode(calldata.dropFirst(4)) == "0x"
            + "000000000000000000000000ca11bde05977b3631167028862be2a173976ca11"
            + "0000000000000000000000000000000000000000000000000000000000000001"
            + "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
            + "deadbeef00000000000000000000000000000000000000000000000000000000")
    }

    @Test func encodesEachStaticType() throws {
        #expect(try word(.uint(255), as: .uint8) == String(repeating: "0", count: 62) + "ff")
        #expect(try word(.int(-128), as: .int(bits: 8)) == String(repeating: "f", count: 62) + "80")
        #expect(try word(.int(127), as: .int(bits: 8)) == String(repeating: "0", count: 62) + "7f")
        #expect(try word(.bool(false), as: .bool) == String(repeating: "0", count: 64))
        #expect(try word(.fixedBytes([UInt8](repeating: 0x11, count: 32)), as: .bytes32) == String(repeating: "11", count: 32))
    }

    @Test func crossesSignednessOnlyWhenTheValueFits() throws {
        #expect(try word(.int(5), as: .uint8) == String(repeating: "0", count: 62) + "05")
        #expect(try word(.uint(127), as: .int(bits: 8)) == String(repeating: "0", count: 62) + "7f")
        #expect(failure(.int(-1), as: .uint256)?.description == "-1 does not fit in uint256")
        #expect(failure(.int(256), as: .uint8)?.description == "256 does not fit in uint8")
        #expect(failure(.uint(128), as: .int(bits: 8))?.description == "128 does not fit in int8")
    }

    @Test func refusesValuesOutOfTheTypesRange() {
        #expect(failure(.uint(256), as: .uint8) == ABIError(.invalidValue, "256 does not fit in uint8"))
        #expect(failure(.uint(UInt256(high: 1, low: 0)), as: .uint128)?.description == "340282366920938463463374607431768211456 does not fit in uint128")
        #expect(failure(.int(-129), as: .int(bits: 8))?.description == "-129 does not fit in int8")
        #expect(failure(.fixedBytes([1, 2, 3]), as: .fixedBytes(count: 4)) == ABIError(.invalidValue, "0x010203 is 3 bytes; bytes4 takes 4"))
    }

    @Test func refusesTheWrongKindOfValue() {
        #expect(failure(.bool(true), as: .uint256) == ABIError(.argumentMismatch, "uint256 cannot hold a bool (true)"))
        #expect(failure(.uint(1), as: .address)?.description == "address cannot hold an unsigned integer (1)")
        #expect(failure(.int(1), as: .bool)?.description == "bool cannot hold a signed integer (1)")
        #expect(failure(.address(knownContract), as: .bytes32)?.description == "bytes32 cannot hold an address (0xcA11bde05977b3631167028862bE2a173976CA11)")
        #expect(failure(.fixedBytes([1]), as: .uint8)?.description == "uint8 cannot hold fixed bytes (0x01)")
    }

    @Test func saysWhichArgumentIsWrong() {
        #expect(throws: ABIError(.argumentMismatch, "getWithdrawnAmount(uint256) takes 1 argument; got 0")) { try withdrawn.encodeCall([]) }
        #expect(throws: ABIError(.argumentMismatch, "getWithdrawnAmount(uint256) takes 1 argument; got 2")) { try withdrawn.encodeCall([.uint(1), .uint(2)]) }
        let two = ViewSignature(name: "f", arguments: [.uint8, .uint8], returns: .bool)
        #expect(throws: ABIError(.argumentMismatch, "f(uint8,uint8) takes 2 arguments; got 1")) { try two.encodeCall([.uint(1)]) }
        #expect(throws: ABIError(.invalidValue, "argument 2 of f(uint8,uint8): 300 does not fit in uint8")) { try two.encodeCall([.uint(1), .uint(300)]) }
    }
}
