extension Array {
    /// The elements' indices in report order: by stream id first, read from an array of their
    /// own, then by `areInOrder`. Sorting indices moves integers instead of elements (a dozen
    /// strings each), and comparing the ids copies no element, where comparing two elements
    /// read from the array copied both for every comparison.
    func indicesInReportOrder(streamId: (Element) -> String, _ areInOrder: (Element, Element) -> Bool) -> [Int] {
        let streams = map(streamId)
        return indices.sorted { a, b in streams[a] != streams[b] ? streams[a] < streams[b] : areInOrder(self[a], self[b]) }
    }
}
