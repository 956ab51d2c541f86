// Checks that the documented third-party setup really ran the contract kit: tests counted for every
// contract family, skips counted and shown with their reasons, and the docs show this very POM.
// Variables: basedir (the sample's copy), samplePom, docsFile, readmeFile (from the invoker setup).

def fail = { String why -> throw new AssertionError("third-party sample: " + why) }

def log = new File(basedir, 'build.log').getText('UTF-8')
if (!log.contains('BUILD SUCCESS')) fail('the build did not succeed')

// 1. Surefire ran the kit: every contract family ran tests, and skipped ones are counted.
def reports = new File(basedir, 'target/surefire-reports').listFiles()?.findAll { it.name ==~ /TEST-.*\.xml/ } ?: []
def totals = [:]
def skippedCases = []
reports.each { f ->
    def suite = new groovy.xml.XmlSlurper().parse(f)
    totals[suite.@name.toString()] = [tests: suite.@tests.toInteger(), skipped: suite.@skipped.toInteger(),
                                      failures: suite.@failures.toInteger(), errors: suite.@errors.toInteger()]
    suite.testcase.each { tc -> if (tc.skipped.size() > 0) skippedCases << (tc.@classname.toString() + ' ' + tc.@name.toString()) }
}
// Surefire writes one report per @Nested group of a contract, named after the contract's class.
def families = ['StorageContract'      : ['com.example.tinykv.TinyKvStorageContractTest', 'dev.polystore.testkit.StorageContract$'],
                'ReliabilityContract'  : ['com.example.tinykv.TinyKvReliabilityTest'],
                'DialogueStoreContract': ['com.example.tinykv.TinyKvDialogueStoreTest', 'dev.polystore.testkit.domain.DialogueStoreContract$'],
                'DocumentStoreContract': ['com.example.tinykv.TinyKvDocumentStoreTest', 'dev.polystore.testkit.domain.DocumentStoreContract$']]
families.each { family, prefixes ->
    int ran = totals.findAll { name, t -> prefixes.any { name == it || name.startsWith(it) } }.values().sum(0) { it.tests }
    if (ran == 0) fail("no test of ${family} ran (reports: ${totals.keySet()})")
    println "third-party sample: ${family}: ${ran} tests"
}
int tests = totals.values().sum { it.tests }
int skipped = totals.values().sum { it.skipped }
int failed = totals.values().sum { it.failures + it.errors }
if (tests < 100) fail("only ${tests} kit tests ran")
if (skipped == 0) fail('no test was skipped, yet tinykv declares no optional capability')
if (failed != 0) fail("${failed} kit tests failed")
if (!skippedCases.any { it.contains('DocumentStoreContract$Search corpus()') }) {
    fail('the skipped search corpus (a dynamic test) is not counted as a skipped test')
}
def summary = log.readLines().find { it ==~ /.*Tests run: \d+, Failures: 0, Errors: 0, Skipped: \d+$/ }
if (summary == null) fail('no Surefire summary line in the log')

// 2. The skip reasons are in the build log without any SLF4J provider on the test class path.
['does not declare capability BATCH', 'does not declare capability TRANSACTIONS',
 'does not declare capability EXPIRY', 'does not persist across reopen'].each { reason ->
    if (!log.readLines().any { it.startsWith('[polystore-testkit] SKIPPED') && it.contains(reason) }) {
        fail("no skip line in the build log names '${reason}'")
    }
}
if (!log.contains('[polystore-testkit] ' + skipped + ' tests or groups skipped')) {
    fail("the skip summary does not count the ${skipped} skipped tests")
}

// 3. The docs show exactly this POM (the Polystore version aside), and the README's snippet is part of it.
def normalise = { String xml -> xml.replaceAll(/<polystore\.version>[^<]*<\/polystore\.version>/, '<polystore.version>V</polystore.version>')
        .readLines()*.trim().findAll { it } }
def fenced = { File doc, String marker ->
    def lines = doc.getText('UTF-8').readLines()
    int at = lines.findIndexOf { it.contains(marker) }
    if (at < 0) fail("${doc.name} has no block marked '${marker}'")
    int open = lines.findIndexOf(at) { it.startsWith('```') }
    int close = lines.findIndexOf(open + 1) { it.startsWith('```') }
    lines.subList(open + 1, close).join('\n')
}
def sample = normalise(new File(samplePom).getText('UTF-8'))
def documented = normalise(fenced(new File(docsFile), 'sample-pom'))
if (documented != sample) {
    def i = (0..<Math.min(documented.size(), sample.size())).find { documented[it] != sample[it] } ?: Math.min(documented.size(), sample.size())
    fail("docs/writing-a-backend.md differs from the sample POM at line ${i + 1} of the block: '${documented[i]}' vs '${sample[i]}'")
}
def readme = normalise(fenced(new File(readmeFile), 'testing-a-backend'))
def missing = readme.findAll { !sample.contains(it) }
if (missing) fail("README's backend setup has lines the working sample does not: ${missing}")

println "third-party sample: ${tests} kit tests ran, ${skipped} skipped with their reasons shown; docs match the POM"
return true
