// Linux only (ios-demo/linux): Combine is not there. SangamModel declares itself an
// ObservableObject with @Published properties for SwiftUI to observe; on Linux nothing
// observes, so these stand-ins keep the declarations and the values, and nothing else.
#if !canImport(Combine)
public protocol ObservableObject: AnyObject {}

@propertyWrapper
public struct Published<Value> {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
}
#endif
