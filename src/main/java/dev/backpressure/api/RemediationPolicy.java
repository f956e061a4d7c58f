package dev.backpressure.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The custom resource users write: which FlinkDeployments of its namespace it governs, whether it
 * only reports (DryRun) or also changes them (Enforce), and within which limits.
 */
@Group(RemediationPolicy.GROUP)
@Version(RemediationPolicy.VERSION)
@Kind("RemediationPolicy")
@Plural("remediationpolicies")
@ShortNames({"rpol"})
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".spec.mode",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Governed",
    jsonPath = ".status.deploymentsGoverned",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Backpressured",
    jsonPath = ".status.backpressured",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Remediating",
    jsonPath = ".status.remediating",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class RemediationPolicy
    extends CustomResource<RemediationPolicySpec, RemediationPolicyStatus> implements Namespaced {

  public static final String GROUP = "backpressure.dev";
  public static final String VERSION = "v1alpha1";
}
