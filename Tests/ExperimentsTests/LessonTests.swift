import Testing

@testable import Experiments
@testable import Runner

@Suite("lessons: markdown a teacher edits, matched to steps by key")
struct LessonTests {
    @Test("every section belongs to a step, the intro or the closing, in step order, in English and Chinese",
          arguments: Catalog.all.map(\.id))
    func sectionsMatchSteps(id: String) throws {
        let experiment = try #require(Catalog.experiment(id))
        let stepKeys = experiment.steps.map(\.key) + [hostUnchangedKey]
        for language in ["en", "zh"] {
            let lesson = try Lesson.load(id: id, language: language)
            #expect(!lesson.title.isEmpty && !lesson.intro.isEmpty)
            for section in lesson.sections {
                #expect(section.key.map { stepKeys.contains($0) || [Lesson.introKey, Lesson.closingKey].contains($0) } == true,
                        "\(id) \(language): section \"\(section.title)\" matches no step (give it {#step-key}, {#intro} or {#closing})")
                #expect(!section.body.isEmpty, "\(id) \(language): \(section.title)")
            }
            // Each step has a section, and the steps' first sections come in step order.
            var firsts: [String] = []
            for key in lesson.sections.compactMap(\.key) where stepKeys.contains(key) && !firsts.contains(key) { firsts.append(key) }
            #expect(firsts.filter { $0 != hostUnchangedKey } == experiment.steps.map(\.key), "\(id) \(language)")
            #expect(firsts.last == hostUnchangedKey || !firsts.contains(hostUnchangedKey), "\(id) \(language)")
        }
    }

    /// Text that cuts at spaces only is cut into pieces byte by byte (the fast path): the same
    /// pieces as the character-by-character cut, for every line of every lesson in both
    /// languages that qualifies, every sentence of the runner's, and a few edges.
    @Test func spaceWrapPiecesAreTheCharacterOnes() throws {
        var texts = ["", " ", "a", "  two  spaces  ", "`code with spaces` after", "open `never closed", "tab\tand\r\nCRLF x",
                     "Linux ≥ 5.6 · not yet", "a — b … c’s"]
        for id in Catalog.all.map(\.id) {
            for language in ["en", "zh"] {
                let lesson = try Lesson.load(id: id, language: language)
                texts += ([lesson.intro] + lesson.sections.map(\.body)).flatMap { $0.split(separator: "\n").map(String.init) }
            }
        }
        texts += Catalog.messageTables.flatMap(\.templates).flatMap { [$0.template.en, $0.template.zh] }
        let fast = texts.filter(\.cutsAtSpacesOnly)
        #expect(fast.count > 1000 && fast.contains { !$0.utf8.allSatisfy { $0 < 0x80 } })
        // A combining mark or a joiner after a space or a backtick, or a space after an opening
        // quote, is cut otherwise by characters: such text takes the character cut.
        for text in ["a \u{301}b", "a \u{200D} b", "`\u{301} x`", "“ a", "‘ a"] {
            #expect(!text.cutsAtSpacesOnly && text.spaceWrapUnits() != text.characterWrapUnits(), "\(text)")
        }
        for text in fast {
            #expect(text.spaceWrapUnits() == text.characterWrapUnits(), "\(text)")
        }
    }

    @Test("one title for one thing: list, the lesson and --explain agree", arguments: Catalog.all.map(\.id))
    func titlesAgree(id: String) throws {
        let experiment = try #require(Catalog.experiment(id))
        let lesson = try Lesson.load(id: id)
        #expect(lesson.title == experiment.title.english)
        for step in experiment.steps {
            #expect(lesson.section(for: step.key)?.title == step.title.english, "\(id): \(step.key)")
        }
        if let host = lesson.section(for: hostUnchangedKey) {
            #expect(host.title == "Nothing changed outside the experiment's namespaces")
        }
    }

    @Test("lessons speak to the student: no source documents they have never seen", arguments: lessonFiles)
    func noSeedCitations(file: String) throws {
        let text = try #require(readTextFile(sourceRoot() + "/lessons/" + file)).lowercased()
        #expect(!text.contains("seed 0") && !text.contains("seeds"), "\(file) cites the seeds: name the man page instead")
    }

    @Test func parsesTitleIntroKeysAndSectionsOfAStep() {
        let lesson = Lesson(markdown: """
            # Title

            Intro line.

            ## Background {#intro}
            Why.

            ## First step {#first}
            Do this.
            ```sh
            ## not a heading inside a fence
            ```

            ## More on the first step {#first}
            And this.

            ## Further reading {#closing}
            man pages
            """)
        #expect(lesson.title == "Title")
        #expect(lesson.intro == "Intro line.")
        #expect(lesson.sections.map(\.key) == ["intro", "first", "first", "closing"])
        #expect(lesson.section(for: "first")?.title == "First step")
        #expect(lesson.section(for: "first")?.body.contains("## not a heading inside a fence") == true)
        #expect(lesson.sections(for: "first").map(\.title) == ["First step", "More on the first step"])
        #expect(lesson.sections(for: Lesson.closingKey).map(\.title) == ["Further reading"])
    }

    @Test func aMissingLessonSaysWhereItLooked() {
        let error = #expect(throws: LabError.self) { try Lesson.load(id: "no-such-lesson") }
        #expect(error?.description.hasPrefix("no lesson file no-such-lesson.md in ") == true)
    }

    @Test func kernelVersionsCompareNumerically() {
        #expect(KernelVersion("5.6") < KernelVersion("5.10"))
        #expect(KernelVersion("6.18.44-fc-v657") > KernelVersion("2.6.19"))
        #expect(!(KernelVersion("3.8") < KernelVersion("3.8.0")))
    }

    @Test func suggestionsPickTheClosestIds() {
        #expect(Catalog.suggestions(for: "pid") == Catalog.all.filter { $0.id.contains("pid") }.map(\.id))
        #expect(Catalog.suggestions(for: "uts-namespcae") == ["uts-namespace"])
        #expect(Catalog.suggestions(for: "zzzzzzzz") == [])
    }
}

@Suite("rendering")
struct RenderingTests {
    @Test func junitAttributesAreValidXMLWhateverAProgramPrinted() {
        #expect(Markup.attribute("a<b & \"c\"\n\u{1B}[31mred\u{1B}[0m\tend") ==
                "\"a&lt;b &amp; &quot;c&quot;&#10;\u{FFFD}[31mred\u{FFFD}[0m&#9;end\"")
    }
}

@Suite("the docs tell the truth")
struct DocumentationTests {
    @Test func ciRunsTheTestCommandThatTheReadmeGives() throws {
        let readme = try #require(readTextFile(sourceRoot() + "/README.md"))
        let ci = try #require(readTextFile(sourceRoot() + "/.ci/run"))
        let commands = readme.split(separator: "\n").filter { $0.hasPrefix("apt-get update") }
        #expect(commands.count == 2, "exactly two set-up commands")
        #expect(commands.first?.hasSuffix("runner run all") == true)
        let testCommand = try #require(commands.last)
        #expect(testCommand.hasSuffix("swift test --no-parallel"))
        #expect(ci.split(separator: "\n").contains(testCommand))
    }
}
