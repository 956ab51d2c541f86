package dev.polystore.cli.command;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How a long command shows progress: {@code --progress} and {@code --progress-interval} (a picocli mixin). */
final class ProgressOptions {
    /** Where progress goes. */
    enum Mode { auto, bar, lines, none }

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
            description = "auto (default: a live bar when standard error is a terminal, else plain lines), "
                    + "bar, lines or none. --quiet and --json imply none.")
    Mode mode;

    @Option(names = "--progress-interval", defaultValue = "2000", paramLabel = "MS",
            description = "Milliseconds between plain progress lines (default ${DEFAULT-VALUE}; 0: a line per page).")
    long intervalMillis;

    /** The display these options and the output options ask for; close it when the command ends. */
    ProgressDisplay display(CommandLine.Model.CommandSpec spec, Polystore.Output output) {
        Mode m = output.quiet || output.json ? Mode.none : mode;
        if (m == Mode.auto) {
            m = System.console() != null ? Mode.bar : Mode.lines;
        }
        return new ProgressDisplay(m, spec.commandLine().getErr(), Math.max(0, intervalMillis));
    }
}
