/**
 * Moving data between engines: {@link dev.polystore.cli.Copier}, {@link dev.polystore.cli.Verifier}
 * and {@link dev.polystore.cli.ExportFile} over {@link dev.polystore.migration.Migration}, and the
 * {@code polystore} command built on them with picocli ({@code dev.polystore.cli.command}, not
 * exported: run it, do not link it).
 */
module dev.polystore.cli {
    requires transitive dev.polystore;
    requires info.picocli;
    requires me.tongfei.progressbar;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires dev.polystore.encryption; // polystore reencrypt

    exports dev.polystore.cli;

    opens dev.polystore.cli.command to info.picocli;

    uses dev.polystore.spi.StorageProvider;
}
