package dev.backpressure.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line: {@code diagnose} a job without Kubernetes, or run the {@code operator}. */
@Command(
    name = "backpressure",
    mixinStandardHelpOptions = true,
    version = "flink-backpressure-operator 0.1.0",
    description =
        "Finds the cause of backpressure in Apache Flink jobs and fixes what a configuration change can fix.",
    subcommands = {DiagnoseCommand.class, OperatorCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    // Before any logger exists: jars on the classpath ship log4j configurations of their own.
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:backpressure-log4j2.properties");
    }
    System.exit(
        run(
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8),
            args));
  }

  /** Runs the command line and returns its exit code (documented on each command). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(
        (ex, argv) -> {
          ex.getCommandLine().getErr().println("error: " + ex.getMessage());
          ex.getCommandLine()
              .getErr()
              .println("see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          return ExitCodes.ERROR;
        });
    return cli.execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
