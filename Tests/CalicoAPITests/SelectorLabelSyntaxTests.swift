import CalicoAPI
import Testing

@Suite("Label syntax")
struct SelectorLabelSyntaxTests {
    @Test(
        "valid keys",
        arguments: [
            "app", "a", "A", "0", "app.kubernetes.io/name", "example.com/App_Name-1.2", "projectcalico.org/namespace",
            "k8s-app", "a-b_c.d", String(repeating: "n", count: 63), "x/y", "a.b-c.d/e",
            String(repeating: "p", count: 253) + "/name",
        ])
    func validKey(_ key: String) {
        #expect(LabelSyntax.validateKey(key) == nil)
    }

    @Test(
        "invalid keys",
        arguments: [
            ("", "name part must not be empty"),
            ("/name", "prefix must not be empty"),
            ("example.com/", "name part must not be empty"),
            ("a/b/c", "at most one \"/\""),
            (String(repeating: "n", count: 64), "name part must be 63 characters or less"),
            ("Example.com/name", "prefix must be a DNS subdomain"),
            ("-example.com/name", "prefix must be a DNS subdomain"),
            ("example-.com/name", "prefix must be a DNS subdomain"),
            ("example..com/name", "prefix must be a DNS subdomain"),
            ("example_com/name", "prefix must be a DNS subdomain"),
            (String(repeating: "p", count: 254) + "/name", "prefix must be 253 characters or less"),
            ("-app", "name part must start and end with a letter or digit"),
            ("app-", "name part must start and end with a letter or digit"),
            ("_app", "name part must start and end with a letter or digit"),
            ("app.", "name part must start and end with a letter or digit"),
            ("app name", "name part may contain only letters, digits"),
            ("app:name", "name part may contain only letters, digits"),
            ("äpp", "name part may contain only letters, digits"),
        ])
    func invalidKey(_ key: String, _ fragment: String) throws {
        let reason = try #require(LabelSyntax.validateKey(key))
        #expect(reason.contains(fragment), "\(reason)")
    }

    @Test(
        "valid values",
        arguments: ["", "a", "web", "Web-1", "v1.2.3", "a_b", "0", String(repeating: "v", count: 63)])
    func validValue(_ value: String) {
        #expect(LabelSyntax.validateValue(value) == nil)
    }

    @Test(
        "invalid values",
        arguments: [
            (String(repeating: "v", count: 64), "value must be 63 characters or less"),
            ("-web", "value must start and end with a letter or digit"),
            ("web.", "value must start and end with a letter or digit"),
            ("a b", "value may contain only letters, digits"),
            ("a/b", "value may contain only letters, digits"),
            ("ü", "value may contain only letters, digits"),
            ("x\"y", "value may contain only letters, digits"),
        ])
    func invalidValue(_ value: String, _ fragment: String) throws {
        let reason = try #require(LabelSyntax.validateValue(value))
        #expect(reason.contains(fragment), "\(reason)")
    }

    @Test func everyValidKeyIsASelectorLabel() throws {
        for key in ["app", "app.kubernetes.io/name", "example.com/App_Name-1.2"] {
            #expect(LabelSyntax.validateKey(key) == nil)
            #expect(try Selector(parsing: "has(\(key))").referencedLabelKeys == [key])
        }
    }
}
