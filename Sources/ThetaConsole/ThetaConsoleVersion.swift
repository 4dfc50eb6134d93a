/// The release, as `theta-console --version` prints it. The OpenAPI document's `info.version` and
/// the Python client's package version (clients/python) are the same string; a test checks both.
public enum ThetaConsoleVersion {
    public static let string = "0.3.0"
}
