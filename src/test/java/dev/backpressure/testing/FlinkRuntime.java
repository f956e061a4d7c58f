package dev.backpressure.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flink that the stand-in Flink operator deploys jobs to: the build's own Flink 1.20, in this
 * JVM, or Flink 2.x, one JVM per cluster on a classpath of its own ({@code
 * src/test/flink2/pom.xml}), since the two releases cannot share one. Either way the cluster is
 * then driven over its REST API, as the real Flink operator drives it.
 */
public sealed interface FlinkRuntime {

  /** The Flink release, as Flink names it ({@code 1.20.3}, {@code 2.1.1}). */
  String version();

  /** Starts a cluster of the shape and runs the job in it, from the savepoint if there is one. */
  Cluster start(
      TestingFlinkCluster.Builder shape,
      ScenarioJob job,
      int parallelism,
      String name,
      Optional<String> savepoint)
      throws Exception;

  /** A cluster with its one job; closing it is its pods going away. */
  interface Cluster extends AutoCloseable {
    String jobId();
  }

  /** {@code 1} (the build's Flink, the default) or {@code 2} (Flink 2.x). */
  static FlinkRuntime of(String major) {
    return switch (major) {
      case "1", "" -> new InProcess();
      case "2" -> ChildProcess.flink2();
      default ->
          throw new IllegalArgumentException(
              "unknown Flink '" + major + "': 1 (Flink 1.20, the default) or 2 (Flink 2.x)");
    };
  }

  /**
   * As {@link #of}, but each cluster in a JVM of its own whatever the release, so that two releases
   * can be compared on the same way in (the same host, the same client, the same submission).
   */
  static FlinkRuntime inChildProcess(String major) {
    return major.equals("2") ? ChildProcess.flink2() : ChildProcess.thisBuild();
  }

  /** Flink 1.20, a MiniCluster in this JVM. */
  record InProcess() implements FlinkRuntime {
    @Override
    public String version() {
      return EnvironmentInformation.getVersion();
    }

    @Override
    public Cluster start(
        TestingFlinkCluster.Builder shape,
        ScenarioJob job,
        int parallelism,
        String name,
        Optional<String> savepoint)
        throws Exception {
      TestingFlinkCluster cluster = shape.start();
      try {
        String id =
            cluster
                .submit(
                    job.build(StreamExecutionEnvironment.getExecutionEnvironment(), parallelism),
                    name,
                    savepoint
                        .map(p -> SavepointRestoreSettings.forPath(p, false))
                        .orElse(SavepointRestoreSettings.none()))
                .toString();
        return new Cluster() {
          @Override
          public String jobId() {
            return id;
          }

          @Override
          public void close() throws Exception {
            cluster.close();
          }
        };
      } catch (Exception e) {
        cluster.close();
        throw e;
      }
    }
  }

  /** Flink 2.x: each cluster is a {@link FlinkHost} in a JVM of its own. */
  record ChildProcess(String version, List<Path> classpath) implements FlinkRuntime {

    private static final Path POM = Path.of("src", "test", "flink2", "pom.xml");
    private static final Path CLASSPATH = Path.of("target", "flink2.classpath");
    private static final Pattern RUNTIME_JAR = Pattern.compile("flink-runtime-([0-9][^/]*)\\.jar$");

    /**
     * The Flink 2.x of {@code src/test/flink2/pom.xml}; its classpath is resolved through the Maven
     * wrapper the first time (a download on a fresh machine) and kept in {@code target/}.
     */
    static synchronized ChildProcess flink2() {
      try {
        if (!Files.exists(CLASSPATH)
            || Files.getLastModifiedTime(CLASSPATH).compareTo(Files.getLastModifiedTime(POM)) < 0) {
          resolve();
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : Files.readString(CLASSPATH).trim().split(java.io.File.pathSeparator)) {
          jars.add(Path.of(entry));
        }
        String version =
            jars.stream()
                .map(p -> RUNTIME_JAR.matcher(p.getFileName().toString()))
                .filter(Matcher::find)
                .map(m -> m.group(1))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no flink-runtime in " + CLASSPATH));
        return new ChildProcess(version, List.copyOf(jars));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * The build's own Flink, started as a child JVM like Flink 2.x: for comparing the two releases
     * on the same way in.
     */
    static ChildProcess thisBuild() {
      List<Path> classpath = new ArrayList<>();
      for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        classpath.add(Path.of(entry));
      }
      return new ChildProcess(EnvironmentInformation.getVersion(), List.copyOf(classpath));
    }

    private static void resolve() throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Path.of("mvnw").toAbsolutePath().toString());
      command.addAll(List.of("-q", "-B", "-f", POM.toString()));
      // The local repository and offline mode of the build that runs the tests, when it says.
      String repository = System.getProperty("flink2.localRepository", "");
      if (!repository.isBlank() && !repository.startsWith("${")) {
        command.add("-Dmaven.repo.local=" + repository);
      }
      if ("true".equals(System.getProperty("flink2.offline"))) {
        command.add("-o");
      }
      command.add("dependency:build-classpath");
      command.add("-Dmdep.outputFile=" + CLASSPATH.toAbsolutePath());
      Path log = Files.createTempFile("flink2-classpath", ".log");
      Process maven =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try {
        if (!maven.waitFor(15, TimeUnit.MINUTES) || maven.exitValue() != 0) {
          maven.destroyForcibly();
          throw new IllegalStateException(
              "resolving Flink 2.x ("
                  + POM
                  + ") failed; Maven said:\n"
                  + Files.readString(log, StandardCharsets.UTF_8));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while resolving Flink 2.x", e);
      }
      Files.delete(log);
    }

    @Override
    public Cluster start(
        TestingFlinkCluster.Builder shape,
        ScenarioJob job,
        int parallelism,
        String name,
        Optional<String> savepoint)
        throws Exception {
      Properties properties = new Properties();
      properties.putAll(shape.configuration());
      savepoint.ifPresent(p -> properties.setProperty("execution.savepoint.path", p));
      properties.setProperty("host.taskmanagers", Integer.toString(shape.taskManagerCount()));
      properties.setProperty("host.slots", Integer.toString(shape.slotsPerTaskManager()));
      properties.setProperty("host.job", job.name());
      properties.setProperty("host.parallelism", Integer.toString(parallelism));
      properties.setProperty("host.name", name);
      Path dir = Files.createTempDirectory("flink-" + version);
      Path config = dir.resolve("cluster.properties");
      try (Writer out = Files.newBufferedWriter(config)) {
        properties.store(out, "Flink " + version + " cluster for " + name);
      }
      List<String> classpath = new ArrayList<>();
      classpath.add(testClasses().toString());
      classpath.addAll(this.classpath.stream().map(Path::toString).toList());
      Process process =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx768m",
                  "--add-opens=java.base/java.util=ALL-UNNAMED",
                  "--add-opens=java.base/java.lang=ALL-UNNAMED",
                  "-Dlog4j2.configurationFile=classpath:log4j2-test.properties",
                  "-cp",
                  String.join(java.io.File.pathSeparator, classpath),
                  FlinkHost.class.getName(),
                  config.toString())
              .redirectError(dir.resolve("stderr.log").toFile())
              .start();
      CompletableFuture<String> jobId = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                // Flink logs to standard output too: all of it goes to a file beside stderr.log.
                try (BufferedReader out =
                        new BufferedReader(
                            new InputStreamReader(
                                process.getInputStream(), StandardCharsets.UTF_8));
                    Writer log = Files.newBufferedWriter(dir.resolve("stdout.log"))) {
                  String line;
                  while ((line = out.readLine()) != null) {
                    if (line.startsWith(FlinkHost.JOB_LINE)) {
                      jobId.complete(line.substring(FlinkHost.JOB_LINE.length()).trim());
                    }
                    log.write(line);
                    log.write(System.lineSeparator());
                    log.flush();
                  }
                } catch (IOException e) {
                  // The process is gone; the exit below tells.
                }
                jobId.completeExceptionally(
                    new IllegalStateException(
                        "Flink "
                            + version
                            + " exited before it ran the job; see stdout.log and stderr.log in "
                            + dir));
              },
              "flink-" + version + "-stdout");
      reader.setDaemon(true);
      reader.start();
      String id;
      try {
        id = jobId.get(2, TimeUnit.MINUTES);
      } catch (Exception e) {
        process.destroyForcibly();
        throw e;
      }
      return new Cluster() {
        @Override
        public String jobId() {
          return id;
        }

        @Override
        public void close() throws Exception {
          try {
            process.getOutputStream().close();
          } catch (IOException e) {
            // Already gone: nothing to tell it.
          }
          if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          }
          if (process.exitValue() == 0) {
            // Logs stay for a cluster that ended badly, to read.
            try (var files = Files.walk(dir)) {
              files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
          }
        }
      };
    }

    /** Where this build's test classes are: the scenario jobs and {@link FlinkHost}. */
    private static Path testClasses() throws Exception {
      return Path.of(FlinkHost.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
  }
}
