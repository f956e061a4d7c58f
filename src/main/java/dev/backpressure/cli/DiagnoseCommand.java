package dev.backpressure.cli;

import dev.backpressure.diagnosis.Cause;
import dev.backpressure.diagnosis.Diagnosis;
import dev.backpressure.diagnosis.Durations;
import dev.backpressure.diagnosis.Thresholds;
import dev.backpressure.flink.JobSnapshot;
import dev.backpressure.flink.JobState;
import dev.backpressure.flink.rest.FlinkRestClient;
import dev.backpressure.flink.rest.ScrapeException;
import dev.backpressure.flink.rest.SnapshotReader;
import dev.backpressure.remediation.DeploymentView;
import dev.backpressure.remediation.Plan;
import dev.backpressure.remediation.Planner;
import dev.backpressure.remediation.RemedyLimits;
import dev.backpressure.watch.JobSampler;
import dev.backpressure.watch.JobWatch;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code diagnose}: samples a job over Flink REST, prints the verdict and the change the operator
 * would make. Needs no Kubernetes.
 */
@Command(
    name = "diagnose",
    mixinStandardHelpOptions = true,
    description =
        "Samples a Flink job over its REST API and tells whether it is backpressured, where, why, and what would fix it.",
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  no sustained backpressure",
      "  1  sustained backpressure diagnosed (or the job fails for lack of network buffers)",
      "  2  usage error, or Flink could not be read (nothing was diagnosed)",
      "",
      "Thresholds (--threshold name=value): run with --list-thresholds for names, defaults and ranges."
    })
final class DiagnoseCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--rest-url",
      description = "Flink REST address, e.g. http://localhost:8081 (required)")
  String restUrl;

  @Option(names = "--job", description = "job id (default: the only running job)")
  String job;

  @Option(
      names = "--samples",
      defaultValue = "5",
      description = "snapshots to take (1-100, default ${DEFAULT-VALUE})")
  int samples;

  @Option(
      names = "--interval",
      defaultValue = "5s",
      description = "time between snapshots (default ${DEFAULT-VALUE})")
  String interval;

  @Option(
      names = "--output",
      defaultValue = "text",
      description = "text or json (default ${DEFAULT-VALUE})")
  String output;

  @Option(
      names = "--timeout",
      defaultValue = "10s",
      description = "timeout of each HTTP request (default ${DEFAULT-VALUE})")
  String timeout;

  @Option(
      names = "--max-answer",
      defaultValue = "8m",
      description =
          "largest Flink answer read; a larger one is refused as it arrives (default"
              + " ${DEFAULT-VALUE})")
  String maxAnswer;

  @Option(
      names = "--threshold",
      description = "override a threshold, e.g. --threshold busyMsPerSecond=700")
  Map<String, String> thresholds = new LinkedHashMap<>();

  @Option(
      names = "--list-thresholds",
      description = "print the thresholds with defaults, ranges and meanings, and exit")
  boolean listThresholds;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (listThresholds) {
      Thresholds.OPTIONS.forEach(
          o ->
              out.printf(
                  Locale.ROOT,
                  "%-26s default %-6s range %-12s %s%s%n",
                  o.name(),
                  o.defaultValue(),
                  o.range(),
                  o.description(),
                  o.whyApart().map(w -> " (" + w + ")").orElse("")));
      out.flush();
      return ExitCodes.HEALTHY;
    }
    Settings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.flush();
      return ExitCodes.ERROR;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "flink-rest");
              t.setDaemon(true);
              return t;
            });
    try {
      SnapshotReader reader =
          new SnapshotReader(
              new FlinkRestClient(
                  FlinkRestClient.httpClient(settings.timeout),
                  settings.url,
                  settings.timeout,
                  settings.maxAnswerBytes),
              pool,
              Clock.systemUTC());
      String jobId = reader.resolveJob(job);
      JobWatch watch =
          new JobWatch(reader, jobId, settings.thresholds, samples, Duration.ofDays(1));
      Diagnosis diagnosis = sample(watch, settings, err);
      JobSnapshot latest = watch.window().latest().orElseThrow();
      Plan plan =
          Planner.plan(
              diagnosis, latest, DeploymentView.fromSnapshot(latest), RemedyLimits.DEFAULTS);
      Report report = new Report(settings.url, latest, diagnosis, plan, settings.interval);
      out.print(settings.json ? report.json() : report.text());
      out.flush();
      if (diagnosis.cause() == Cause.UNKNOWN && latest.state() != JobState.RUNNING) {
        err.println(
            "error: job "
                + jobId
                + " is "
                + latest.state()
                + (latest.exceptions().isEmpty()
                    ? ""
                    : ": " + latest.exceptions().get(0).headline()));
        err.flush();
        return ExitCodes.ERROR;
      }
      if (diagnosis.cause() == Cause.UNKNOWN && !diagnosis.symptom().backpressured()) {
        // Neither backpressured nor healthy: what would tell is unreadable.
        err.println(
            "error: "
                + diagnosis.notes().stream().findFirst().orElse("the job's metrics are unknown"));
        err.flush();
        return ExitCodes.ERROR;
      }
      boolean backpressure =
          diagnosis.symptom().sustained()
              || (diagnosis.cause() == Cause.TOO_FEW_NETWORK_BUFFERS && !latest.hasMetrics());
      return backpressure ? ExitCodes.BACKPRESSURE : ExitCodes.HEALTHY;
    } catch (ScrapeException e) {
      // The user chose this address: what it answered helps, and goes to no one else.
      err.println("error: " + e.getMessage() + (e.answered().isEmpty() ? "" : ": " + e.answered()));
      err.flush();
      return ExitCodes.ERROR;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted");
      return ExitCodes.ERROR;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Takes the snapshots, saying each on stderr unless the output is JSON. A job that is failing
   * without metrics ends the sampling early: its cause is already known.
   */
  private Diagnosis sample(JobWatch watch, Settings settings, PrintWriter err)
      throws ScrapeException, InterruptedException {
    int[] taken = {0};
    JobSampler.Sampled sampled =
        new JobSampler(watch, settings.interval)
            .run(
                samples,
                samples + 12,
                Duration.ofDays(1),
                new JobSampler.Looker() {
                  @Override
                  public boolean looked(Diagnosis d) {
                    taken[0]++;
                    if (!settings.json) {
                      err.printf(Locale.ROOT, "sample %d/%d: %s%n", taken[0], samples, oneLine(d));
                      err.flush();
                    }
                    return d.jobState() != JobState.RUNNING
                        && !watch.window().latest().orElseThrow().hasMetrics()
                        && d.cause() != Cause.UNKNOWN;
                  }

                  @Override
                  public void waiting(ScrapeException e) {
                    err.println("waiting: " + e.getMessage());
                    err.flush();
                  }
                });
    return sampled.last().orElseThrow();
  }

  private static String oneLine(Diagnosis d) {
    if (!d.symptom().backpressured() && d.cause() == Cause.UNKNOWN) {
      return "backpressure unknown (missing or NaN)";
    }
    return d.symptom().backpressured()
        ? "backpressured, "
            + d.cause().title()
            + d.bottleneck().map(v -> " at '" + v.name() + "'").orElse("")
        : "not backpressured";
  }

  private record Settings(
      URI url,
      Duration interval,
      Duration timeout,
      long maxAnswerBytes,
      Thresholds thresholds,
      boolean json) {}

  private Settings settings() {
    if (restUrl == null || restUrl.isBlank()) {
      throw new IllegalArgumentException(
          "--rest-url is required: the Flink REST address, e.g. --rest-url http://localhost:8081");
    }
    URI url;
    try {
      url = URI.create(restUrl.trim());
    } catch (IllegalArgumentException e) {
      url = null;
    }
    if (url == null
        || url.getHost() == null
        || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
      throw new IllegalArgumentException(
          "--rest-url must be an http(s) URL such as http://localhost:8081, got '" + restUrl + "'");
    }
    if (samples < 1 || samples > 100) {
      throw new IllegalArgumentException("--samples must be between 1 and 100, got " + samples);
    }
    String format = output.toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
    }
    Duration every = Durations.parse(interval, "--interval");
    Duration requestTimeout = Durations.parse(timeout, "--timeout");
    if (requestTimeout.isZero()) {
      throw new IllegalArgumentException("--timeout must be more than 0");
    }
    long answerLimit = AnswerLimit.parse(maxAnswer, "--max-answer");
    Thresholds t = Thresholds.DEFAULTS.with(thresholds);
    if (samples < t.sustainSamples()) {
      throw new IllegalArgumentException(
          "--samples "
              + samples
              + " is fewer than sustainSamples ("
              + t.sustainSamples()
              + "): backpressure could never count as sustained");
    }
    if (every.multipliedBy(samples - 1).compareTo(t.sustainDuration()) < 0) {
      throw new IllegalArgumentException(
          samples
              + " samples "
              + Durations.format(every)
              + " apart span less than sustainDuration ("
              + Durations.format(t.sustainDuration())
              + "): take more samples, a longer --interval, or lower --threshold sustainDuration");
    }
    return new Settings(url, every, requestTimeout, answerLimit, t, format.equals("json"));
  }
}
