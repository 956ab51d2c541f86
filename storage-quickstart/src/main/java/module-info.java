/**
 * The quickstart as a named module, run on the module path by the build (and on the class path
 * too): what an application on JPMS writes. It requires only the API; the SQLite backend and the
 * SLF4J provider are found by service binding because they are on the module path. Its package is
 * opened to Jackson, which maps the {@code Task} record the default codec stores.
 */
module dev.polystore.quickstart {
    requires dev.polystore;

    opens dev.polystore.quickstart to com.fasterxml.jackson.databind;
}
