/**
 * ClusterSPIFFEID (spire.spiffe.io/v1alpha1): the spec checks of SCM's admission webhook and reconciler
 * (`ParseClusterSPIFFEIDSpec`, in its order and with its messages), and the rendering of one pod's entry
 * (`renderPodEntry`): parent ID from the node, SPIFFE ID, DNS names (templates, then Service names), selectors
 * (`k8s:pod-uid` first, then the workload selector templates) and the SVID fields. The same parser serves the
 * webhook and the planner, so a spec the webhook admits is one the planner can use.
 */
import { parseSpiffeId, trustDomainFromString } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import { durationToSeconds } from "./duration.js";
import { parseSelector, type RenderedEntry } from "./entry.js";
import { compareGoStrings, goQuote } from "./go-text.js";
import { parseLabelSelector, type Selector } from "./label-selector.js";
import type { KubeObjectJson, PodJson } from "./objects.js";
import { collectFields, SpecFields } from "./spec-decode.js";
import { executeTemplate, parseTemplate, type Template, templateData } from "./template/index.js";

/** A ClusterSPIFFEID spec, parsed and checked. */
export interface ClusterSpiffeIdSpec {
  readonly spiffeIdTemplate: Template;
  readonly namespaceSelector: Selector;
  readonly podSelector: Selector;
  /** Nanoseconds. */
  readonly ttl: bigint;
  readonly jwtTtl: bigint;
  /** Trust domain names (`spiffe://td` items normalised to `td`). */
  readonly federatesWith: readonly string[];
  readonly dnsNameTemplates: readonly Template[];
  readonly workloadSelectorTemplates: readonly Template[];
  readonly admin: boolean;
  readonly downstream: boolean;
  readonly autoPopulateDnsNames: boolean;
  readonly hint: string;
  readonly className: string;
  readonly fallback: boolean;
}

/**
 * Why a spec is unusable: `decode` when Go could not even decode the object (a duration that does not parse,
 * a field of the wrong JSON type; the webhook answers these with its decoder's error), `invalid` for
 * `ParseClusterSPIFFEIDSpec`'s checks.
 */
export interface SpecError {
  readonly kind: "decode" | "invalid";
  readonly message: string;
}

/** The template names SCM parses with (they appear in template error messages). */
export const TEMPLATE_NAMES = {
  spiffeId: "spiffeIDTemplate",
  dnsName: "dnsNameTemplate",
  workloadSelector: "workloadSelectorTemplate",
  defaultParentId: "defaultParentIDTemplate",
  customParentId: "customParentIDTemplate",
} as const;

/** Parses and checks a ClusterSPIFFEID `spec` as SCM's webhook and reconciler do. */
export function parseClusterSpiffeIdSpec(spec: unknown): Result<ClusterSpiffeIdSpec, SpecError> {
  const decoded = decodeSpec(spec);
  if (!decoded.ok) return fail({ kind: "decode", message: decoded.error });
  const fields = decoded.value;
  const checked = checkSpec(fields);
  if (!checked.ok) return fail({ kind: "invalid", message: checked.error });
  return checked;
}

function decodeSpec(spec: unknown) {
  const reader = SpecFields.of(spec, "ClusterSPIFFEID", "ClusterSPIFFEIDSpec");
  if (!reader.ok) return reader;
  const fields = reader.value;
  return collectFields({
    spiffeIDTemplate: fields.string("spiffeIDTemplate"),
    ttl: fields.duration("ttl"),
    jwtTtl: fields.duration("jwtTtl"),
    dnsNameTemplates: fields.strings("dnsNameTemplates"),
    workloadSelectorTemplates: fields.strings("workloadSelectorTemplates"),
    federatesWith: fields.strings("federatesWith"),
    namespaceSelector: fields.selector("namespaceSelector"),
    podSelector: fields.selector("podSelector"),
    admin: fields.bool("admin"),
    downstream: fields.bool("downstream"),
    autoPopulateDNSNames: fields.bool("autoPopulateDNSNames"),
    className: fields.string("className"),
    fallback: fields.bool("fallback"),
    hint: fields.string("hint"),
  });
}

type DecodedSpec = Extract<ReturnType<typeof decodeSpec>, { ok: true }>["value"];

function checkSpec(spec: DecodedSpec): Result<ClusterSpiffeIdSpec> {
  if (spec.spiffeIDTemplate === "") return fail("empty SPIFFEID template");
  const spiffeIdTemplate = parseTemplate(TEMPLATE_NAMES.spiffeId, spec.spiffeIDTemplate);
  if (!spiffeIdTemplate.ok) return fail(`invalid SPIFFEID template: ${spiffeIdTemplate.error.message}`);
  const namespaceSelector = parseLabelSelector(
    spec.namespaceSelector as Parameters<typeof parseLabelSelector>[0],
  );
  if (!namespaceSelector.ok) return namespaceSelector;
  const podSelector = parseLabelSelector(spec.podSelector as Parameters<typeof parseLabelSelector>[0]);
  if (!podSelector.ok) return podSelector;
  const federatesWith: string[] = [];
  for (const value of spec.federatesWith) {
    const trustDomain = trustDomainFromString(value);
    if (!trustDomain.ok) return fail(`invalid federatesWith value: ${trustDomain.error}`);
    federatesWith.push(trustDomain.value);
  }
  const dnsNameTemplates = parseAll(
    TEMPLATE_NAMES.dnsName,
    spec.dnsNameTemplates,
    "invalid dnsNameTemplate value",
  );
  if (!dnsNameTemplates.ok) return dnsNameTemplates;
  const workloadSelectorTemplates = parseAll(
    TEMPLATE_NAMES.workloadSelector,
    spec.workloadSelectorTemplates,
    "invalid workloadSelectorTemplates value",
  );
  if (!workloadSelectorTemplates.ok) return workloadSelectorTemplates;
  return ok({
    spiffeIdTemplate: spiffeIdTemplate.value,
    namespaceSelector: namespaceSelector.value,
    podSelector: podSelector.value,
    ttl: spec.ttl,
    jwtTtl: spec.jwtTtl,
    federatesWith,
    dnsNameTemplates: dnsNameTemplates.value,
    workloadSelectorTemplates: workloadSelectorTemplates.value,
    admin: spec.admin,
    downstream: spec.downstream,
    autoPopulateDnsNames: spec.autoPopulateDNSNames,
    hint: spec.hint,
    className: spec.className,
    fallback: spec.fallback,
  });
}

function parseAll(name: string, texts: readonly string[], prefix: string): Result<Template[]> {
  const templates: Template[] = [];
  for (const text of texts) {
    const template = parseTemplate(name, text);
    if (!template.ok) return fail(`${prefix}: ${template.error.message}`);
    templates.push(template.value);
  }
  return ok(templates);
}

/** The parent ID template SCM uses when the config sets none. */
export const DEFAULT_PARENT_ID_TEMPLATE =
  "spiffe://{{ .TrustDomain }}/spire/agent/k8s_psat/{{ .ClusterName }}/{{ .NodeMeta.UID }}";

/** Parses a configured `parentIDTemplate` (or, for `undefined`, SCM's default) under SCM's template name. */
export function parseParentIdTemplate(text: string | undefined): Result<Template, string> {
  const template =
    text === undefined || text === ""
      ? parseTemplate(TEMPLATE_NAMES.defaultParentId, DEFAULT_PARENT_ID_TEMPLATE)
      : parseTemplate(TEMPLATE_NAMES.customParentId, text);
  return template.ok ? template : fail(template.error.message);
}

/** What rendering needs besides the spec and the objects: the cluster's identity and the parent ID template. */
export interface PodRenderContext {
  /** The configured trust domain's name. */
  readonly trustDomain: string;
  readonly clusterName: string;
  readonly clusterDomain: string;
  readonly parentIdTemplate: Template;
}

/** A Service (an Endpoints object or EndpointSlices of one service) with a ready or not-ready address on the pod. */
export interface ServiceRef {
  readonly name: string;
  readonly namespace: string;
}

/**
 * Renders the entry one ClusterSPIFFEID declares for one pod, or why it cannot (SCM counts that as a
 * `podEntryRenderFailure`). `node` is the pod's node (undefined when unscheduled or gone); `services` are the
 * Services targeting the pod, used only with `autoPopulateDNSNames`.
 */
export function renderPodEntry(
  spec: ClusterSpiffeIdSpec,
  pod: PodJson,
  node: KubeObjectJson | undefined,
  services: readonly ServiceRef[],
  context: PodRenderContext,
): Result<RenderedEntry> {
  if (node === undefined) return fail(`node ${pod.spec?.nodeName ?? ""} not found in cache`);
  const nodeData = templateData({ ...context, node });
  const parentId = renderSpiffeId(context.parentIdTemplate, nodeData, context.trustDomain);
  if (!parentId.ok) return fail(`failed to render parent ID: ${parentId.error}`);
  const data = templateData({ ...context, node, pod });
  const spiffeId = renderSpiffeId(spec.spiffeIdTemplate, data, context.trustDomain);
  if (!spiffeId.ok) return fail(`failed to render SPIFFE ID: ${spiffeId.error}`);
  const dnsNames: string[] = [];
  for (const template of spec.dnsNameTemplates) {
    const name = render(template, data);
    if (!name.ok) return fail(`failed to render DNS name: ${name.error}`);
    if (!dnsNames.includes(name.value)) dnsNames.push(name.value);
  }
  if (spec.autoPopulateDnsNames) {
    for (const name of serviceDnsNames(services, context.clusterDomain)) {
      if (!dnsNames.includes(name)) dnsNames.push(name);
    }
  }
  const selectors = [{ type: "k8s", value: `pod-uid:${pod.metadata?.uid ?? ""}` }];
  for (const template of spec.workloadSelectorTemplates) {
    const rendered = render(template, data);
    if (!rendered.ok) return fail(`failed to render workload selector: ${rendered.error}`);
    const selector = parseSelector(rendered.value);
    if (!selector.ok) {
      return fail(
        `failed to render workload selector: invalid workload selector ${goQuote(rendered.value)}: ${selector.error}`,
      );
    }
    selectors.push(selector.value);
  }
  return ok({
    spec: {
      spiffeId: spiffeId.value,
      parentId: parentId.value,
      selectors,
      dnsNames,
      federatesWith: [...spec.federatesWith],
      admin: spec.admin,
      downstream: spec.downstream,
      x509SvidTtl: durationToSeconds(spec.ttl),
      jwtSvidTtl: durationToSeconds(spec.jwtTtl),
      hint: spec.hint,
      storeSvid: false,
    },
    x509SvidTtl: spec.ttl,
    jwtSvidTtl: spec.jwtTtl,
  });
}

/** The names of each Service: `S`, `S.N`, `S.N.svc`, `S.N.svc.<clusterDomain>` (when known), all sorted. */
export function serviceDnsNames(services: readonly ServiceRef[], clusterDomain: string): string[] {
  const names: string[] = [];
  for (const { name, namespace } of services) {
    names.push(name, `${name}.${namespace}`, `${name}.${namespace}.svc`);
    if (clusterDomain !== "") names.push(`${name}.${namespace}.svc.${clusterDomain}`);
  }
  return names.sort(compareGoStrings);
}

function render(template: Template, data: ReturnType<typeof templateData>): Result<string> {
  const rendered = executeTemplate(template, data);
  return rendered.ok ? rendered : fail(`failed to execute template: ${rendered.error.message}`);
}

/** Renders an ID template and checks the result is a SPIFFE ID in `trustDomain` (SCM's `renderSPIFFEID`). */
function renderSpiffeId(
  template: Template,
  data: ReturnType<typeof templateData>,
  trustDomain: string,
): Result<string> {
  const rendered = render(template, data);
  if (!rendered.ok) return rendered;
  const id = parseSpiffeId(rendered.value);
  if (!id.ok) return fail(`invalid SPIFFE ID: ${id.error}`);
  if (id.value.trustDomain !== trustDomain) {
    return fail(
      `invalid SPIFFE ID: expected trust domain ${goQuote(trustDomain)} but got ${goQuote(id.value.trustDomain)}`,
    );
  }
  return ok(rendered.value);
}
