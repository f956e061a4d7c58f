package dev.backpressure.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the decision core pure: the snapshot model, the classifier and the planner import no
 * Kubernetes, JOSDK, HTTP or JSON library, and dependencies point one way: operator/cli →
 * remediation → diagnosis → flink model.
 */
class LayeringTest {

  private static JavaClasses main;

  @BeforeAll
  static void load() {
    main =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.backpressure");
  }

  private static final String[] IO_LIBRARIES = {
    "io.fabric8..", "io.javaoperatorsdk..", "java.net.http..", "com.fasterxml.jackson..",
    "io.micrometer..", "picocli..", "org.slf4j..", "org.apache.logging.."
  };

  @Test
  void pureCoreImportsNoKubernetesHttpOrJson() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.backpressure.flink", "dev.backpressure.diagnosis", "dev.backpressure.remediation")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(IO_LIBRARIES)
        .because("the decision core takes values and returns values; I/O lives at the edges")
        .check(main);
  }

  @Test
  void pureCoreReadsNoClockOfItsOwn() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.backpressure.diagnosis", "dev.backpressure.remediation")
        .should()
        .callMethod(java.time.Instant.class, "now")
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(java.time.Clock.class, "systemUTC")
        .because("time comes in as an argument or an injected Clock, so tests move it")
        .check(main);
  }

  @Test
  void dependenciesPointOneWay() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.backpressure.flink..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.backpressure.diagnosis..",
            "dev.backpressure.remediation..",
            "dev.backpressure.watch..",
            "dev.backpressure.cli..",
            "dev.backpressure.operator..")
        .check(main);
    noClasses()
        .that()
        .resideInAnyPackage("dev.backpressure.diagnosis..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.backpressure.remediation..",
            "dev.backpressure.watch..",
            "dev.backpressure.cli..",
            "dev.backpressure.operator..",
            "dev.backpressure.flink.rest..")
        .check(main);
    noClasses()
        .that()
        .resideInAnyPackage("dev.backpressure.remediation..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.backpressure.watch..",
            "dev.backpressure.cli..",
            "dev.backpressure.operator..",
            "dev.backpressure.flink.rest..")
        .check(main);
  }

  /** A class that grows past this is doing more than one job: split it before it sets. */
  private static final int MAX_LINES = 450;

  @Test
  void noMainClassOutgrowsOneJob() throws IOException {
    try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
      List<String> over =
          files
              .filter(f -> f.toString().endsWith(".java"))
              .filter(f -> lines(f) > MAX_LINES)
              .map(f -> f + " (" + lines(f) + " lines)")
              .toList();
      assertThat(over).as("classes over " + MAX_LINES + " lines").isEmpty();
    }
  }

  private static long lines(Path f) {
    try {
      return Files.readAllLines(f).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
