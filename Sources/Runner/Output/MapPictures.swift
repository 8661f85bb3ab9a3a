import Experiments

/// The SVG maps of a run's steps, drawn once and written as files into a folder or two
/// (`--svg DIR`, and the folder beside a handout): `<experiment>-<step number>-<step key>.svg`,
/// one per step that has a map.
struct MapPictures {
    /// Each picture: "experiment/step", its file's name, the SVG.
    let pictures: [(key: String, name: String, svg: String)]

    init(_ results: [ExperimentResult], language: Language) {
        pictures = results.flatMap { result in
            let kinds = Catalog.experiment(result.id)?.namespaces ?? []
            return result.steps.enumerated().compactMap { index, step in
                SVGMap(language: language).picture(step, experiment: result.id, kinds: kinds).map {
                    (key: "\(result.id)/\(step.key)", name: "\(result.id)-\(index + 1)-\(step.key).svg", svg: $0)
                }
            }
        }
    }

    /// Writes the pictures into `folder`, made if it is not there (its parent must be);
    /// `option` names it in errors. Returns each file's name by "experiment/step".
    @discardableResult
    func write(into folder: String, option: String) throws(ResultOutputError) -> [String: String] {
        try ResultDestination(path: folder, option: option, isFolder: true).makeFolder()
        for picture in pictures {
            try ResultDestination(path: "\(folder)/\(picture.name)", option: option).write(picture.svg)
        }
        return Dictionary(uniqueKeysWithValues: pictures.map { ($0.key, $0.name) })
    }
}
