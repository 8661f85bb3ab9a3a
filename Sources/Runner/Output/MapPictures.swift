import Experiments
import Glibc

/// The SVG maps of a run's steps, written as files into a folder (`--svg DIR`, and the folder
/// beside a handout): `<experiment>-<step number>-<step key>.svg`, one per step that has a map.
struct MapPictures {
    /// The folder as given; made if it is not there (its parent must be).
    let folder: String
    let option: String
    let language: Language

    /// A folder of pictures, checked before the run: a folder to write into, or to make in one.
    static func destination(folder: String, option: String) -> ResultDestination {
        var destination = ResultDestination(path: folder, option: option)
        destination.isFolder = true
        return destination
    }

    /// Writes the pictures; returns each file's name by "experiment/step".
    @discardableResult
    func write(_ results: [ExperimentResult]) throws(ResultOutputError) -> [String: String] {
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw ResultOutputError(stage: .delivery, message: runnerText.cannotWriteResults(option, folder, errnoName(errno)))
        }
        var names: [String: String] = [:]
        for result in results {
            let kinds = Catalog.experiment(result.id)?.namespaces ?? []
            for (index, step) in result.steps.enumerated() {
                guard let picture = SVGMap(language: language).picture(step, experiment: result.id, kinds: kinds) else { continue }
                let name = "\(result.id)-\(index + 1)-\(step.key).svg"
                try ResultDestination(path: "\(folder)/\(name)", option: option).write(picture)
                names["\(result.id)/\(step.key)"] = name
            }
        }
        return names
    }
}
