package dev.backpressure.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
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
}
