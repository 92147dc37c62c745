/// Every plugin that ships with streamrecon. Adding one is adding its type to a list here.
public enum BuiltInPlugins {
    public static let valueTypes: [any ValueTypePlugin.Type] = [
        AmountType.self,
        IntegerType.self,
        StringType.self,
        AddressType.self,
        EnumType.self,
        BoolType.self,
        TimestampType.self,
    ]

    public static let comparators: [any ComparatorPlugin.Type] = [
        ExactComparator.self,
        ToleranceComparator.self,
        ToleranceBpsComparator.self,
        MapComparator.self,
        IgnoreCaseComparator.self,
        IgnoreComparator.self,
    ]

    public static let functions: [any FunctionPlugin.Type] = [
        AbsFunction.self,
        MinFunction.self,
        MaxFunction.self,
    ]
}
