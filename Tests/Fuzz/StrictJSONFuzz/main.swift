import RemitFuzzDriver
import RemitStrictJSON

// Every request body goes through StrictJSON.parse: whatever the bytes, it returns a value or a
// syntax error, within its depth bound, and never crashes or hangs (libFuzzer's -timeout).
fuzz { data, count in
    if let value = try? StrictJSON.parse(bytes(data, count)) {
        precondition(depth(value) <= StrictJSON.depthMax, "a value nested deeper than the bound was accepted")
    }
    return 0
}

func depth(_ value: JSONValue) -> Int {
    switch value {
    case .object(let members): 1 + (members.values.map(depth).max() ?? 0)
    case .array(let elements): 1 + (elements.map(depth).max() ?? 0)
    case .string, .number, .bool, .null: 0
    }
}
