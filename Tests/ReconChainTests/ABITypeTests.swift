import ReconChain
import Testing

struct ABITypeTests {
    @Test func readsEveryStaticTypeName() {
        for bits in stride(from: 8, through: 256, by: 8) {
            #expect(ABIType(name: "uint\(bits)") == .uint(bits: bits))
            #expect(ABIType(name: "int\(bits)") == .int(bits: bits))
        }
        for count in 1...32 {
            #expect(ABIType(name: "bytes\(count)") == .fixedBytes(count: count))
        }
        #expect(ABIType(name: "address") == .address)
        #expect(ABIType(name: "bool") == .bool)
    }

    @Test func canonicalisesTheAliases() {
        #expect(ABIType(name: "uint") == .uint256)
        #expect(ABIType(name: "int") == .int256)
        #expect(ABIType(name: "uint")?.description == "uint256")
        #expect(ABIType(name: "int")?.description == "int256")
    }

    @Test(arguments: ["uint257", "uint7", "uint0", "uint08", "uint+8", "int264", "bytes0", "bytes33", "bytes", "string",
                      "Uint256", "uint256 ", "", "unit256", "uint２５６"])
    func refusesOtherNames(name: String) {
        #expect(ABIType(name: name) == nil)
    }

    @Test func namesItselfCanonically() {
        #expect(ABIType.uint128.description == "uint128")
        #expect(ABIType.int(bits: 8).description == "int8")
        #expect(ABIType.address.description == "address")
        #expect(ABIType.bool.description == "bool")
        #expect(ABIType.bytes32.description == "bytes32")
        #expect(ABIType.uint8 == .uint(bits: 8))
    }

    @Test func knowsWhichSizesAreValid() {
        #expect(ABIType.uint256.isValid && ABIType.int(bits: 8).isValid && ABIType.address.isValid && ABIType.bool.isValid)
        #expect(!ABIType.uint(bits: 7).isValid)
        #expect(!ABIType.int(bits: 264).isValid)
        #expect(!ABIType.fixedBytes(count: 0).isValid)
        #expect(!ABIType.fixedBytes(count: 33).isValid)
    }
}

struct ABISelectorTests {
    @Test func hashesTheCanonicalSignature() {
        #expect(ABISelector(signature: "getWithdrawnAmount(uint256)") == ABISelector(0xD511_609F))
        #expect(ABISelector(signature: "getWithdrawnAmount(uint256)").description == "0xd511609f")
        #expect(ABISelector(0x0000_0001).description == "0x00000001")
    }

    @Test func readsTheFirstFourBytes() {
        #expect(ABISelector(prefixOf: [0x08, 0xC3, 0x79, 0xA0, 0xFF]) == ABISelector(0x08C3_79A0))
        #expect(ABISelector(prefixOf: [0x08, 0xC3, 0x79]) == nil)
        #expect(ABISelector(0x08C3_79A0).bytes == [0x08, 0xC3, 0x79, 0xA0])
    }
}
