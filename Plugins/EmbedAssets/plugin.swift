import Foundation
import PackagePlugin

/// Embeds text assets as generated Swift source: `migrations/*.sql` into KeyStore, and
/// `docs/openapi.yaml` plus everything under `public/` into ThetaConsole.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let package = context.package.directoryURL
        let tool = try context.tool(named: "AssetEmbedder").url
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded\(target.name).swift")
        let mode: String
        var inputs: [URL]
        var arguments: [String]
        switch target.name {
        case "KeyStore":
            mode = "migrations"
            inputs = try files(in: package.appending(path: "migrations")).filter { $0.pathExtension == "sql" }
            arguments = [mode, output.path()]
        default:
            mode = "files"
            inputs = [package.appending(path: "docs/openapi.yaml")] + (try files(in: package.appending(path: "public")))
            arguments = [mode, output.path(), package.path()]
        }
        inputs.sort { $0.path() < $1.path() }
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files into \(target.name)",
                executable: tool,
                arguments: arguments + inputs.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }

    /// Regular files below a folder, recursively; hidden files are skipped.
    private func files(in folder: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey],
                                                           options: [.skipsHiddenFiles]) else { return [] }
        return walker.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }
}
