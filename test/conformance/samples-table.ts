import {
  action,
  drain,
  errorServer,
  flavor,
  flavorExtraSpecs,
  keypair,
  lockedServer,
  newKey,
  server,
  stoppedServer,
} from "./fixtures.js";
import type { Call, Caller, RequestFix, SampleValues, Step } from "./harness.js";
import type { DifferenceKind } from "./structure.js";

/**
 * The api_samples conformance table: for each response sample of an API nimbus
 * implements, the request that produces it (with its setup), the samples nimbus does not
 * implement (with the reason), and the differences accepted (with the reason).
 * Sample ids are paths under `../shared/nova-api/api_samples/` (`extra:` for
 * `api_samples_templates_extra/`); a sample's microversion is its `vX.Y/` directory.
 */

export interface SampleRow {
  readonly sample: string;
  /** Who makes the setup and the request; default "member" (the demo user). */
  readonly as?: Caller;
  readonly setup?: readonly Step[];
  readonly request: Call;
  /** Path patterns of objects whose keys are data, for this sample only (see structure.ts). */
  readonly maps?: readonly string[];
}

export interface NotImplemented {
  /** A glob over sample ids (corpus.ts `globMatches`): `*` within a path segment, `**` across, `{a,b}`. */
  readonly samples: string;
  readonly reason: string;
}

export interface AcceptedDifference {
  /** A glob over sample ids, as in {@link NotImplemented}. */
  readonly samples: string;
  /** A path pattern (see structure.ts `pathMatches`). */
  readonly path: string;
  readonly kind: DifferenceKind;
  readonly reason: string;
}

/** Objects whose keys are data in every sample. */
export const MAPS = [
  "**.metadata",
  "**.addresses",
  "**.extra_specs",
  "**.image.properties",
  "**.scheduler_hints",
] as const;

/** Values in nova's request samples that name its test environment, and their stand-ins here. */
export const SAMPLE_VALUES: SampleValues = {
  // nova's fake image service
  "70a599e0-31e7-49b7-b260-868f441e862b": "{image_id}",
  "%(image_id)s": "{image_id}",
  // nova's test availability zone
  "us-west": "nova",
  "%(availability_zone)s": "nova",
  // nova's test compute node (2.74 host and hypervisor_hostname)
  "openstack-node-01": "{host}",
  // nova's test project and user ids
  fake_tenant: "{demo_project_id}",
  fake: "{demo_user_id}",
  // placeholders of the functional-test templates
  "%(access_ip_v4)s": "1.2.3.4",
  "%(access_ip_v6)s": "80fe::",
  "%(user_data)s": "IyEvYmluL2Jhc2gKL2Jpbi9zdQplY2hvICJJIGFtIGluIHlvdSEiCg==",
};

/**
 * Made once, before every row, and kept by the sweeps between rows: nova's test flavor 6
 * ("m1.tiny.specs", with an extra spec), which several create request samples name.
 */
export const WORLD_SETUP: readonly Step[] = [
  {
    method: "POST",
    path: "/flavors",
    version: "2.1",
    status: 200,
    body: { json: { flavor: { id: "6", name: "m1.tiny.specs", ram: 512, vcpus: 1, disk: 1 } } },
  },
  {
    method: "POST",
    path: "/flavors/6/os-extra_specs",
    version: "2.1",
    status: 200,
    body: { json: { extra_specs: { "hw:numa_nodes": "1" } } },
  },
];

/** Request samples that cannot be sent as they are. */
export const REQUEST_FIXES: readonly RequestFix[] = [
  ...["servers/v2.90/server-create-req.json", "servers/v2.94/server-create-req.json"].map((sample) => ({
    sample,
    omit: ["server.personality"],
    set: { "server.networks": "auto" },
    reason:
      "stale doc sample (README.md, notable findings): it has personality (gone since 2.57) and lacks networks (required since 2.37), so it fails its own microversion's schema; nova's functional-test template has neither problem",
  })),
];

// ---- requests used by many rows ------------------------------------------------

const show: Call = { method: "GET", path: "/servers/{server_id}" };
/** nova's list samples were made with limit=1, hence their servers_links. */
const detailPage: Call = { method: "GET", path: "/servers/detail?limit=1" };
const listPage: Call = { method: "GET", path: "/servers?limit=1" };
const create: Call = { method: "POST", path: "/servers", body: { sample: "server-create-req.json" } };
const update: Call = {
  method: "PUT",
  path: "/servers/{server_id}",
  body: { sample: "server-update-req.json" },
};
const rebuild: Call = action("server-action-rebuild.json");

/** The rows for a microversion directory of servers/ that has show, detail and list samples. */
function serverReads(dir: string, viewer: Caller): SampleRow[] {
  const at = dir ? `servers/${dir}` : "servers";
  return [
    { sample: `${at}/server-get-resp.json`, as: viewer, setup: server(), request: show },
    { sample: `${at}/servers-details-resp.json`, as: viewer, setup: server(), request: detailPage },
    { sample: `${at}/servers-list-resp.json`, setup: server(), request: listPage },
  ];
}

const quotaRows = (area: string, dir: string): SampleRow[] => {
  const at = dir ? `${area}/${dir}` : area;
  return [
    {
      sample: `${at}/quotas-show-defaults-get-resp.json`,
      as: "admin",
      request: { method: "GET", path: "/os-quota-sets/{demo_project_id}/defaults" },
    },
    {
      sample: `${at}/quotas-show-detail-get-resp.json`,
      as: "admin",
      request: { method: "GET", path: "/os-quota-sets/{demo_project_id}/detail" },
    },
    {
      sample: `${at}/quotas-show-get-resp.json`,
      as: "admin",
      request: { method: "GET", path: "/os-quota-sets/{demo_project_id}" },
    },
    {
      sample: `${at}/user-quotas-show-get-resp.json`,
      as: "admin",
      request: { method: "GET", path: "/os-quota-sets/{demo_project_id}?user_id={demo_user_id}" },
    },
    {
      sample: `${at}/quotas-update-post-resp.json`,
      as: "admin",
      request: {
        method: "PUT",
        path: "/os-quota-sets/{demo_project_id}",
        body: { sample: "quotas-update-post-req.json" },
      },
    },
    {
      sample: `${at}/quotas-update-force-post-resp.json`,
      as: "admin",
      request: {
        method: "PUT",
        path: "/os-quota-sets/{demo_project_id}",
        body: { sample: "quotas-update-force-post-req.json" },
      },
    },
  ];
};

function instanceActionRows(dir: string, opts: { nonAdmin?: boolean; paging?: boolean; before?: boolean }) {
  const at = dir ? `os-instance-actions/${dir}` : "os-instance-actions";
  const list = "/servers/{server_id}/os-instance-actions";
  const rows: SampleRow[] = [
    {
      sample: `${at}/instance-action-get-resp.json`,
      as: "admin",
      setup: stoppedServer,
      request: { method: "GET", path: `${list}/{stop_request_id}` },
    },
    {
      sample: `${at}/instance-actions-list-resp.json`,
      as: "admin",
      setup: stoppedServer,
      request: { method: "GET", path: list },
    },
  ];
  if (opts.nonAdmin) {
    rows.push({
      sample: `${at}/instance-action-get-non-admin-resp.json`,
      setup: stoppedServer,
      request: { method: "GET", path: `${list}/{stop_request_id}` },
    });
  }
  if (opts.paging) {
    rows.push(
      {
        sample: `${at}/instance-actions-list-with-changes-since.json`,
        as: "admin",
        setup: stoppedServer,
        request: { method: "GET", path: `${list}?changes-since={before_stop}` },
      },
      {
        sample: `${at}/instance-actions-list-with-limit-resp.json`,
        as: "admin",
        setup: stoppedServer,
        request: { method: "GET", path: `${list}?limit=1` },
      },
      {
        sample: `${at}/instance-actions-list-with-marker-resp.json`,
        as: "admin",
        setup: stoppedServer,
        request: { method: "GET", path: `${list}?marker={stop_request_id}` },
      },
    );
  }
  if (opts.before) {
    rows.push({
      sample: `${at}/instance-actions-list-with-changes-before.json`,
      as: "admin",
      setup: stoppedServer,
      request: { method: "GET", path: `${list}?changes-before={after_stop}` },
    });
  }
  return rows;
}

function flavorReadRows(dir: string): SampleRow[] {
  const at = dir ? `flavors/${dir}` : "flavors";
  // from 2.55 nova's show sample is its test flavor 7, which has a description (and from 2.61 extra specs)
  const described: Step[] = [
    flavor("flavor-manage/v2.55/flavor-create-post-req.json", "2.55"),
    flavorExtraSpecs,
  ];
  return [
    {
      sample: `${at}/flavor-get-resp.json`,
      setup: dir ? described : [],
      request: { method: "GET", path: dir ? "/flavors/{flavor_id}" : "/flavors/1" },
    },
    { sample: `${at}/flavors-detail-resp.json`, request: { method: "GET", path: "/flavors/detail" } },
    { sample: `${at}/flavors-list-resp.json`, request: { method: "GET", path: "/flavors" } },
  ];
}

function flavorManageRows(dir: string): SampleRow[] {
  const at = dir ? `flavor-manage/${dir}` : "flavor-manage";
  const rows: SampleRow[] = [
    {
      sample: `${at}/flavor-create-post-resp.json`,
      as: "admin",
      request: {
        method: "POST",
        path: "/flavors",
        status: 200,
        body: { sample: "flavor-create-post-req.json" },
      },
    },
  ];
  if (dir) {
    rows.push({
      sample: `${at}/flavor-update-resp.json`,
      as: "admin",
      setup: [flavor(`${at}/flavor-create-post-req.json`, dir.slice(1))],
      request: { method: "PUT", path: "/flavors/{flavor_id}", body: { sample: "flavor-update-req.json" } },
    });
  }
  return rows;
}

const keypairRows = (dir: string, createStatus: number): SampleRow[] => {
  const at = dir ? `os-keypairs/${dir}` : "os-keypairs";
  // from 2.10 nova's samples are an admin acting for the user "fake" (the demo user here)
  const admin = dir === "v2.10";
  const forUser = admin ? "?user_id={demo_user_id}" : "";
  const setup = [keypair("keypair-sample", admin ? "{demo_user_id}" : undefined)];
  return [
    {
      sample: `${at}/keypairs-get-resp.json`,
      as: admin ? "admin" : "member",
      setup,
      request: { method: "GET", path: `/os-keypairs/keypair-sample${forUser}` },
    },
    {
      sample: `${at}/keypairs-list-resp.json`,
      as: admin ? "admin" : "member",
      setup,
      request: { method: "GET", path: `/os-keypairs${forUser}` },
    },
    {
      sample: `${at}/keypairs-post-resp.json`,
      as: admin ? "admin" : "member",
      request: {
        method: "POST",
        path: "/os-keypairs",
        status: createStatus,
        body: { sample: "keypairs-post-req.json" },
      },
    },
    {
      sample: `${at}/keypairs-import-post-resp.json`,
      as: admin ? "admin" : "member",
      request: {
        method: "POST",
        path: "/os-keypairs",
        status: createStatus,
        body: { sample: "keypairs-import-post-req.json" },
      },
    },
  ];
};

// ---- the table ---------------------------------------------------------------------

export const ROWS: readonly SampleRow[] = [
  // versions: the documents outside the microversioned router
  { sample: "versions/versions-get-resp.json", request: { method: "GET", path: "/compute/" } },
  { sample: "versions/v21-version-get-resp.json", request: { method: "GET", path: "/compute/v2.1/" } },
  { sample: "versions/v2-version-get-resp.json", request: { method: "GET", path: "/compute/v2/" } },

  // servers at 2.1
  { sample: "servers/server-create-resp.json", request: create },
  { sample: "servers/server-update-resp.json", setup: server(), request: update },
  { sample: "servers/server-action-rebuild-resp.json", setup: server(), request: rebuild },
  ...serverReads("", "admin"),
  {
    sample: "servers/servers-list-status-resp.json",
    setup: errorServer,
    request: { ...listPage, path: "/servers?limit=1&status=error" },
  },
  ...serverReads("v2.3", "admin"),
  ...serverReads("v2.9", "admin"),
  ...serverReads("v2.16", "admin"),
  // 2.19: description
  { sample: "servers/v2.19/server-create-resp.json", request: create },
  {
    sample: "servers/v2.19/server-put-resp.json",
    setup: server(),
    request: { ...update, body: { sample: "server-put-req.json" } },
  },
  { sample: "servers/v2.19/server-action-rebuild-resp.json", setup: server(), request: rebuild },
  ...serverReads("v2.19", "admin"),
  {
    sample: "servers/v2.26/server-action-rebuild-resp.json",
    // the sample's server has tags
    setup: [
      ...server(),
      { method: "PUT", path: "/servers/{server_id}/tags", body: { json: { tags: ["tag1", "tag2"] } } },
    ],
    request: rebuild,
  },
  { sample: "servers/v2.37/server-create-resp.json", request: create },
  {
    sample: "servers/v2.45/server-action-create-image-resp.json",
    setup: server({ sample: "servers/v2.37/server-create-req.json" }),
    request: action("server-action-create-image.json"),
  },
  // 2.47: flavor embedded in the server
  { sample: "servers/v2.47/server-create-resp.json", request: create },
  // nova's update and rebuild samples at 2.47 show a flavor without extra specs: flavor 1, not 6
  ...["server-update-resp.json", "server-action-rebuild-resp.json"].map((name) => ({
    sample: `servers/v2.47/${name}`,
    setup: server({ sample: "servers:server-create-req.json", set: { "server.flavorRef": "1" } }),
    request: name.startsWith("server-update") ? update : rebuild,
  })),
  ...serverReads("v2.47", "admin"),
  // 2.52: tags at create
  { sample: "servers/v2.52/server-create-resp.json", request: create },
  ...serverReads("v2.52", "admin"),
  // 2.54 and 2.57: key_name and user_data on rebuild
  {
    sample: "servers/v2.54/server-action-rebuild-resp.json",
    // the sample's server has no tags (the 2.52 create request nearest below gives some)
    setup: [newKey, ...server({ sample: "servers:server-create-req.json", omit: ["server.tags"] })],
    request: rebuild,
  },
  { sample: "servers/v2.57/server-action-rebuild-resp.json", setup: [newKey, ...server()], request: rebuild },
  { sample: "servers/v2.57/server-create-resp.json", request: create },
  // 2.63: trusted image certificates
  { sample: "servers/v2.63/server-create-resp.json", request: create },
  { sample: "servers/v2.63/server-update-resp.json", setup: server(), request: update },
  { sample: "servers/v2.63/server-action-rebuild-resp.json", setup: [newKey, ...server()], request: rebuild },
  { sample: "servers/v2.63/server-get-resp.json", as: "admin", setup: server(), request: show },
  { sample: "servers/v2.63/servers-details-resp.json", as: "admin", setup: server(), request: detailPage },
  // 2.66: changes-before (with changes-since too, so servers deleted by earlier rows stay out)
  { sample: "servers/v2.66/server-create-resp.json", request: create },
  {
    sample: "servers/v2.66/servers-details-with-changes-before.json",
    as: "admin",
    setup: [{ mark: "t0" }, ...server(), { mark: "t1" }],
    request: { method: "GET", path: "/servers/detail?changes-since={t0}&changes-before={t1}" },
  },
  {
    sample: "servers/v2.66/servers-list-with-changes-before.json",
    setup: [{ mark: "t0" }, ...server(), { mark: "t1" }],
    request: { method: "GET", path: "/servers?changes-since={t0}&changes-before={t1}" },
  },
  { sample: "servers/v2.69/server-create-resp.json", request: create },
  // 2.71: server_groups in show
  { sample: "servers/v2.71/server-create-resp.json", request: create },
  { sample: "servers/v2.71/server-update-resp.json", setup: server(), request: update },
  { sample: "servers/v2.71/server-action-rebuild-resp.json", setup: server(), request: rebuild },
  { sample: "servers/v2.71/server-get-resp.json", as: "admin", setup: server(), request: show },
  // 2.73: locked_reason
  { sample: "servers/v2.73/server-create-resp.json", request: create },
  { sample: "servers/v2.73/server-update-resp.json", setup: server(), request: update },
  { sample: "servers/v2.73/server-action-rebuild-resp.json", setup: server(), request: rebuild },
  { sample: "servers/v2.73/server-get-resp.json", as: "admin", setup: lockedServer, request: show },
  // made without limit, unlike the other detail samples (no servers_links)
  {
    sample: "servers/v2.73/servers-details-resp.json",
    as: "admin",
    setup: lockedServer,
    request: { method: "GET", path: "/servers/detail" },
  },
  // 2.74: host and hypervisor_hostname at create (admin)
  {
    sample: "servers/v2.74/server-create-resp.json",
    as: "admin",
    request: { ...create, body: { sample: "server-create-req-with-host-and-node.json" } },
  },
  // 2.75: full server view in update and rebuild answers (nova's samples are by an admin)
  { sample: "servers/v2.75/server-update-resp.json", as: "admin", setup: server(), request: update },
  { sample: "servers/v2.75/server-action-rebuild-resp.json", as: "admin", setup: server(), request: rebuild },
  // 2.90 onwards: nova's samples are a project member's view (hostname without the admin attributes)
  ...["v2.90", "v2.94", "v2.96", "v2.98", "v2.100"].flatMap((dir): SampleRow[] => [
    { sample: `servers/${dir}/server-update-resp.json`, setup: server(), request: update },
    { sample: `servers/${dir}/server-action-rebuild-resp.json`, setup: server(), request: rebuild },
    ...serverReads(dir, "member"),
  ]),
  ...["v2.90", "v2.94", "v2.100"].map((dir) => ({
    sample: `servers/${dir}/server-create-resp.json`,
    request: create,
  })),
  {
    sample: "servers/v2.104/server-update-resp.json",
    // the sample's server has no scheduler hints (the 2.100 create request gives one)
    setup: server({ sample: "servers:server-create-req.json", omit: ["OS-SCH-HNT:scheduler_hints"] }),
    request: update,
  },
  // functional-test templates: v2.98 create has no doc sample; the others repeat doc samples
  // under other names ("server-details" holds one server, so it is the show answer)
  {
    sample: "extra:servers/v2.98/server-create-resp.json.tpl",
    request: { ...create, body: { sample: "extra:servers/v2.98/server-create-req.json.tpl" } },
  },
  { sample: "extra:servers/v2.96/server-details-resp.json.tpl", setup: server(), request: show },
  { sample: "extra:servers/v2.98/server-details-resp.json.tpl", setup: server(), request: show },
  ...["v2.96", "v2.98", "v2.100"].map((dir) => ({
    sample: `extra:servers/${dir}/server-list-resp.json.tpl`,
    setup: server(),
    request: listPage,
  })),

  // server sub-resources
  {
    sample: "server-ips/server-ips-resp.json",
    setup: server(),
    request: { method: "GET", path: "/servers/{server_id}/ips" },
  },
  {
    sample: "server-ips/server-ips-network-resp.json",
    setup: server(),
    request: { method: "GET", path: "/servers/{server_id}/ips/private" },
    maps: ["$"],
  },
  {
    sample: "server-metadata/server-metadata-all-resp.json",
    setup: server(),
    request: {
      method: "PUT",
      path: "/servers/{server_id}/metadata",
      body: { sample: "server-metadata-all-req.json" },
    },
  },
  {
    sample: "server-metadata/server-metadata-resp.json",
    setup: [
      ...server(),
      {
        method: "PUT",
        path: "/servers/{server_id}/metadata",
        body: { sample: "server-metadata/server-metadata-all-req.json" },
      },
    ],
    request: { method: "GET", path: "/servers/{server_id}/metadata/foo" },
  },
  ...((): SampleRow[] => {
    // the samples' server has no description (the 2.19 create request gives one)
    const tagged: Step[] = [
      ...server({ sample: "servers:server-create-req.json", omit: ["server.description"] }),
      {
        method: "PUT",
        path: "/servers/{server_id}/tags",
        body: { sample: "os-server-tags/v2.26/server-tags-put-all-req.json" },
      },
    ];
    return [
      {
        sample: "os-server-tags/v2.26/server-tags-index-resp.json",
        setup: tagged,
        request: { method: "GET", path: "/servers/{server_id}/tags" },
      },
      {
        sample: "os-server-tags/v2.26/server-tags-put-all-resp.json",
        setup: server(),
        request: {
          method: "PUT",
          path: "/servers/{server_id}/tags",
          body: { sample: "server-tags-put-all-req.json" },
        },
      },
      { sample: "os-server-tags/v2.26/server-tags-show-details-resp.json", setup: tagged, request: show },
      {
        sample: "os-server-tags/v2.26/servers-tags-details-resp.json",
        setup: tagged,
        request: { method: "GET", path: "/servers/detail" },
      },
    ];
  })(),
  {
    sample: "servers-sort/server-sort-keys-list-resp.json",
    setup: server(),
    request: { method: "GET", path: "/servers?sort_key=display_name&sort_dir=asc" },
  },

  // server actions with a response body
  {
    sample: "os-console-output/console-output-post-resp.json",
    setup: server(),
    request: action("console-output-post-req.json", { status: 200 }),
  },
  {
    sample: "os-preserve-ephemeral-rebuild/server-action-rebuild-preserve-ephemeral-resp.json",
    setup: server(),
    request: action("server-action-rebuild-preserve-ephemeral.json"),
  },
  {
    sample: "os-multiple-create/multiple-create-post-resp.json",
    request: { method: "POST", path: "/servers", body: { sample: "multiple-create-post-req.json" } },
  },
  {
    sample: "os-multiple-create/multiple-create-no-resv-post-resp.json",
    request: { method: "POST", path: "/servers", body: { sample: "multiple-create-no-resv-post-req.json" } },
  },

  // instance actions
  ...instanceActionRows("", {}),
  ...instanceActionRows("v2.21", {}),
  ...instanceActionRows("v2.51", { nonAdmin: true }),
  ...instanceActionRows("v2.58", { nonAdmin: true, paging: true }),
  ...instanceActionRows("v2.62", { nonAdmin: true, paging: true }),
  ...instanceActionRows("v2.66", { nonAdmin: true, paging: true, before: true }),
  ...instanceActionRows("v2.84", { nonAdmin: true, paging: true, before: true }),

  // flavors
  ...["", "v2.55", "v2.61", "v2.75", "v2.102"].flatMap(flavorReadRows),
  ...["", "v2.55", "v2.61", "v2.75", "v2.102"].flatMap(flavorManageRows),
  {
    sample: "flavor-extra-specs/flavor-extra-specs-create-resp.json",
    as: "admin",
    setup: [flavor("flavor-manage/flavor-create-post-req.json")],
    request: {
      method: "POST",
      path: "/flavors/{flavor_id}/os-extra_specs",
      status: 200,
      body: { sample: "flavor-extra-specs-create-req.json" },
    },
  },
  {
    sample: "flavor-extra-specs/flavor-extra-specs-list-resp.json",
    as: "admin",
    setup: [flavor("flavor-manage/flavor-create-post-req.json"), flavorExtraSpecs],
    request: { method: "GET", path: "/flavors/{flavor_id}/os-extra_specs" },
  },
  {
    sample: "flavor-extra-specs/flavor-extra-specs-get-resp.json",
    as: "admin",
    setup: [flavor("flavor-manage/flavor-create-post-req.json"), flavorExtraSpecs],
    request: { method: "GET", path: "/flavors/{flavor_id}/os-extra_specs/hw:numa_nodes" },
  },
  {
    sample: "flavor-extra-specs/flavor-extra-specs-update-resp.json",
    as: "admin",
    setup: [flavor("flavor-manage/flavor-create-post-req.json"), flavorExtraSpecs],
    request: {
      method: "PUT",
      path: "/flavors/{flavor_id}/os-extra_specs/hw:numa_nodes",
      body: { sample: "flavor-extra-specs-update-req.json" },
    },
  },
  ...((): SampleRow[] => {
    const privateFlavor = flavor("flavor-access/flavor-create-req.json");
    const shared: Step[] = [
      privateFlavor,
      {
        method: "POST",
        path: "/flavors/{flavor_id}/action",
        status: 200,
        body: { sample: "flavor-access/flavor-access-add-tenant-req.json" },
      },
    ];
    return [
      {
        sample: "flavor-access/flavor-access-add-tenant-resp.json",
        as: "admin",
        setup: [privateFlavor],
        request: {
          method: "POST",
          path: "/flavors/{flavor_id}/action",
          status: 200,
          body: { sample: "flavor-access-add-tenant-req.json" },
        },
      },
      {
        sample: "flavor-access/flavor-access-list-resp.json",
        as: "admin",
        setup: shared,
        request: { method: "GET", path: "/flavors/{flavor_id}/os-flavor-access" },
      },
      {
        sample: "flavor-access/flavor-access-remove-tenant-resp.json",
        as: "admin",
        setup: shared,
        request: {
          method: "POST",
          path: "/flavors/{flavor_id}/action",
          status: 200,
          body: { sample: "flavor-access-remove-tenant-req.json" },
        },
      },
    ];
  })(),

  // keypairs
  ...keypairRows("", 200),
  ...keypairRows("v2.2", 201),
  ...keypairRows("v2.10", 201),
  {
    sample: "os-keypairs/v2.35/keypairs-list-resp.json",
    setup: [keypair("keypair-sample")],
    request: { method: "GET", path: "/os-keypairs?limit=1" },
  },
  {
    sample: "os-keypairs/v2.35/keypairs-list-user1-resp.json",
    as: "admin",
    setup: [keypair("keypair-sample", "{demo_user_id}")],
    request: { method: "GET", path: "/os-keypairs?user_id={demo_user_id}" },
  },
  {
    sample: "os-keypairs/v2.35/keypairs-list-user2-resp.json",
    as: "admin",
    setup: [keypair("keypair-sample", "{demo_user_id}")],
    request: { method: "GET", path: "/os-keypairs?limit=1&user_id={demo_user_id}" },
  },
  {
    sample: "os-keypairs/v2.35/keypairs-post-resp.json",
    as: "admin",
    request: {
      method: "POST",
      path: "/os-keypairs",
      status: 201,
      body: { sample: "keypairs-post-req.json" },
    },
  },
  {
    sample: "os-keypairs/v2.92/keypairs-import-post-resp.json",
    as: "admin",
    request: {
      method: "POST",
      path: "/os-keypairs",
      status: 201,
      body: { sample: "keypairs-import-post-req.json" },
    },
  },

  // limits and quotas
  ...["", "v2.36", "v2.39", "v2.57"].map((dir) => ({
    sample: dir ? `limits/${dir}/limit-get-resp.json` : "limits/limit-get-resp.json",
    request: { method: "GET", path: "/limits" } as Call,
  })),
  ...quotaRows("os-quota-sets", ""),
  ...quotaRows("os-quota-sets", "v2.36"),
  ...quotaRows("os-quota-sets", "v2.57"),
  // nova's samples of its noop quota driver: every limit -1, the same document shape
  ...quotaRows("os-quota-sets-noop", ""),
];

/** Response samples of APIs (or variants) nimbus does not implement: they answer 404, 400 or 410 there. */
export const NOT_IMPLEMENTED: readonly NotImplemented[] = [
  // variants inside implemented areas
  {
    samples: "servers/v2.{32,42,67}/server-create-resp.json",
    reason:
      "the request boots from a volume (block_device_mapping_v2 destination_type volume, device tags); nimbus has no block storage",
  },
  {
    samples: "servers/v2.69/{server-get-resp,servers-details-resp,servers-list-resp}.json",
    reason: "partial records of servers in a down cell; nimbus has no cells, so there is never a down cell",
  },
  {
    samples: "servers/v2.71/server-get-down-cell-resp.json",
    reason: "down cell record; nimbus has no cells",
  },
  { samples: "servers/v2.71/server-groups-post-resp.json", reason: "os-server-groups is not implemented" },
  {
    samples: "{os-quota-sets,os-quota-sets-noop}/**/user-quotas-update-post-resp.json",
    reason: "per-user quotas: nimbus keeps quotas per project and answers 400 to PUT with user_id",
  },
  {
    samples: "extra:servers/attach-interfaces-*-resp.json.tpl",
    reason: "os-interface (port attachments) is not implemented",
  },
  { samples: "extra:os-hypervisors/**", reason: "os-hypervisors is not implemented" },
  { samples: "extra:extensions-list-resp*.json.tpl", reason: "/extensions is not implemented" },
  // whole areas
  { samples: "consoles/**", reason: "removed from nova (410)" },
  { samples: "extension-info/**", reason: "/extensions is not implemented" },
  {
    samples: "images/**",
    reason: "nova's image proxy API (/images) is not implemented; nimbus serves Glance v2 under /image",
  },
  { samples: "os-agents/**", reason: "removed from nova (410)" },
  { samples: "os-aggregates/**", reason: "host aggregates are not implemented" },
  { samples: "os-assisted-volume-snapshots/**", reason: "volumes are not implemented" },
  { samples: "os-attach-interfaces/**", reason: "os-interface (port attachments) is not implemented" },
  { samples: "os-availability-zone/**", reason: "os-availability-zone is not implemented" },
  { samples: "os-baremetal-nodes/**", reason: "the baremetal proxy is not implemented" },
  { samples: "os-cells/**", reason: "removed from nova (410)" },
  { samples: "os-certificates/**", reason: "removed from nova (410)" },
  { samples: "os-cloudpipe/**", reason: "removed from nova (410)" },
  { samples: "os-console-auth-tokens/**", reason: "remote consoles are not implemented" },
  { samples: "os-create-backup/**", reason: "the createBackup action is not implemented" },
  { samples: "os-evacuate/**", reason: "evacuate is not implemented" },
  { samples: "os-fixed-ips/**", reason: "removed from nova (410)" },
  { samples: "os-floating-ip-dns/**", reason: "removed from nova (410)" },
  { samples: "os-floating-ip-pools/**", reason: "the network proxy APIs are not implemented" },
  { samples: "os-floating-ips/**", reason: "the network proxy APIs are not implemented" },
  { samples: "os-floating-ips-bulk/**", reason: "removed from nova (410)" },
  { samples: "os-fping/**", reason: "removed from nova (410)" },
  { samples: "os-hosts/**", reason: "os-hosts is not implemented" },
  { samples: "os-hypervisors/**", reason: "os-hypervisors is not implemented" },
  { samples: "os-instance-usage-audit-log/**", reason: "os-instance-usage-audit-log is not implemented" },
  { samples: "os-migrations/**", reason: "migrations are not implemented" },
  {
    samples: "os-networks/**",
    reason: "the network proxy APIs are not implemented (the rest is removed, 410)",
  },
  { samples: "os-quota-class-sets/**", reason: "quota classes are not implemented" },
  { samples: "os-remote-consoles/**", reason: "remote consoles are not implemented" },
  { samples: "os-rescue/**", reason: "rescue and unrescue are not implemented" },
  { samples: "os-security-group-default-rules/**", reason: "removed from nova (410)" },
  { samples: "os-security-groups/**", reason: "the security group proxy APIs are not implemented" },
  { samples: "os-server-diagnostics/**", reason: "server diagnostics are not implemented" },
  { samples: "os-server-external-events/**", reason: "os-server-external-events is not implemented" },
  { samples: "os-server-groups/**", reason: "os-server-groups is not implemented" },
  { samples: "os-server-password/**", reason: "os-server-password is not implemented" },
  { samples: "os-server-shares/**", reason: "server shares are not implemented" },
  { samples: "os-server-topology/**", reason: "server topology is not implemented" },
  { samples: "os-services/**", reason: "os-services is not implemented" },
  { samples: "os-simple-tenant-usage/**", reason: "os-simple-tenant-usage is not implemented" },
  { samples: "os-snapshots/**", reason: "volumes are not implemented" },
  {
    samples: "os-tenant-networks/**",
    reason: "the network proxy APIs are not implemented (the rest is removed, 410)",
  },
  { samples: "os-virtual-interfaces/**", reason: "removed from nova (410)" },
  { samples: "os-volume_attachments/**", reason: "volumes are not implemented" },
  { samples: "os-volumes/**", reason: "volumes are not implemented" },
  { samples: "server-migrations/**", reason: "migrations are not implemented" },
];

/** Differences between a sample and nimbus's answer that are accepted, each with its reason. */
export const ACCEPTED: readonly AcceptedDifference[] = [
  {
    samples: "{servers,extra:servers}/**",
    path: "**.os-extended-volumes:volumes_attached",
    kind: "empty",
    reason: "nimbus has no block storage yet, so no server has volumes attached",
  },
  {
    samples: "servers/v2.71/*",
    path: "$.server.server_groups",
    kind: "empty",
    reason: "os-server-groups is not implemented, so no server is in a group",
  },
  {
    samples: "servers/v2.{75,90,94,96,98,100}/server-action-rebuild-resp.json",
    path: "$.server.OS-EXT-STS:task_state",
    kind: "type",
    reason:
      "nova's samples come from tests whose rebuild finished before the answer was written (casts run as calls); a real rebuild answers while task_state is 'rebuilding', as nimbus does",
  },
  ...["description", "locked_reason"].map((key) => ({
    samples: "servers/v2.{90,94,96,98,100}/servers-details-resp.json",
    path: `$.servers[].${key}`,
    kind: "type" as const,
    reason: `the sample shows "" where nova renders null for an unset ${key}; the show sample of the same directory (server-get-resp.json, same server) has null`,
  })),
  {
    samples: "servers/v2.19/{server-get-resp,servers-details-resp}.json",
    path: "**.OS-EXT-SRV-ATTR:user_data",
    kind: "type",
    reason:
      "the directory's create request sends no user_data, and nova renders an unset user_data as null, as nimbus does; the sample's \"\" does not come from that request",
  },
  ...["kernel_id", "ramdisk_id"].map((key) => ({
    samples: "servers/v2.16/{server-get-resp,servers-details-resp}.json",
    path: `**.OS-EXT-SRV-ATTR:${key}`,
    kind: "type" as const,
    reason: `nova's compute API stores an absent ${key} as ""; the 2.16 samples alone show null, every other version's sample shows ""`,
  })),
  // flavor lists are compared position by position: the sample's entries 5 and 6 are
  // nova's test flavors 6 (extra specs) and 7 (description, extra specs); nimbus lists its
  // bootstrap flavors and the world setup's flavor 6 in flavorid order, so other flavors
  // stand at those places. A flavor with a description and extra specs is checked by
  // flavor-get-resp.json of the same directory.
  {
    samples: "flavors/v2.{55,61,75,102}/flavors-{list,detail}-resp.json",
    path: "$.flavors[6].description",
    kind: "type",
    reason:
      "positional: the sample's flavor at index 6 (nova's flavor 7) has a description, nimbus's there has none",
  },
  {
    samples: "flavors/v2.{61,75,102}/flavors-detail-resp.json",
    path: "$.flavors[5].extra_specs",
    kind: "empty",
    reason:
      "positional: the sample's flavor at index 5 (nova's flavor 6) has extra specs, nimbus's there has none",
  },
];

/**
 * Request samples with no response sample (actions answering 202/204 without a body, and
 * request variants): nimbus must accept each, as nova's sample tests did, with nova's
 * status and, for the actions, an empty body. `sample` names the request sample, which
 * is the request's body unless the row gives another.
 */
export interface RequestRow extends SampleRow {
  /** Whether the answer has no body (nova's 202/204 actions). */
  readonly empty: boolean;
}

const stopped: Step[] = [...server(), action("servers/server-action-stop.json", { version: "2.1" }), drain];
const resized: Step[] = [...server(), action("servers/server-action-resize.json", { version: "2.1" }), drain];

export const REQUEST_ROWS: readonly RequestRow[] = [
  {
    sample: "servers/server-action-reboot.json",
    setup: server(),
    request: action("server-action-reboot.json"),
    empty: true,
  },
  {
    sample: "servers/server-action-stop.json",
    setup: server(),
    request: action("server-action-stop.json"),
    empty: true,
  },
  {
    sample: "servers/server-action-start.json",
    setup: stopped,
    request: action("server-action-start.json"),
    empty: true,
  },
  {
    sample: "servers/server-action-resize.json",
    setup: server(),
    request: action("server-action-resize.json"),
    empty: true,
  },
  {
    sample: "servers/server-action-confirm-resize.json",
    setup: resized,
    request: action("server-action-confirm-resize.json", { status: 204 }),
    empty: true,
  },
  {
    sample: "servers/server-action-revert-resize.json",
    setup: resized,
    request: action("server-action-revert-resize.json"),
    empty: true,
  },
  {
    sample: "servers/server-action-create-image.json",
    setup: server(),
    request: action("server-action-create-image.json"),
    empty: true,
  },
  {
    sample: "servers/v2.17/server-action-trigger-crash-dump.json",
    setup: server(),
    request: action("server-action-trigger-crash-dump.json"),
    empty: true,
  },
  ...["servers/server-create-req-v237.json", "servers/server-create-req-v257.json"].map((sample) => ({
    sample,
    // named for the microversion they were written for
    request: { ...create, version: sample.endsWith("v237.json") ? "2.37" : "2.57", body: { sample } },
    empty: false,
  })),
  ...["with-only-host", "with-only-node"].map((variant) => ({
    sample: `servers/v2.74/server-create-req-${variant}.json`,
    as: "admin" as const,
    request: { ...create, body: { sample: `server-create-req-${variant}.json` } },
    empty: false,
  })),
  {
    sample: "os-pause-server/pause-server.json",
    setup: server(),
    request: action("pause-server.json"),
    empty: true,
  },
  {
    sample: "os-pause-server/unpause-server.json",
    setup: [...server(), action("os-pause-server/pause-server.json"), drain],
    request: action("unpause-server.json"),
    empty: true,
  },
  {
    sample: "os-suspend-server/server-suspend.json",
    setup: server(),
    request: action("server-suspend.json"),
    empty: true,
  },
  {
    sample: "os-suspend-server/server-resume.json",
    setup: [...server(), action("os-suspend-server/server-suspend.json"), drain],
    request: action("server-resume.json"),
    empty: true,
  },
  {
    sample: "os-lock-server/lock-server.json",
    setup: server(),
    request: action("lock-server.json"),
    empty: true,
  },
  {
    sample: "os-lock-server/unlock-server.json",
    setup: [...server(), action("os-lock-server/lock-server.json")],
    request: action("unlock-server.json"),
    empty: true,
  },
  {
    sample: "os-lock-server/v2.73/lock-server.json",
    setup: server(),
    request: action("lock-server.json"),
    empty: true,
  },
  {
    sample: "os-lock-server/v2.73/lock-server-with-reason.json",
    setup: server(),
    request: action("lock-server-with-reason.json"),
    empty: true,
  },
  {
    sample: "os-lock-server/v2.73/unlock-server.json",
    setup: [...server(), action("os-lock-server/v2.73/lock-server-with-reason.json")],
    request: action("unlock-server.json"),
    empty: true,
  },
  {
    sample: "os-admin-actions/admin-actions-reset-server-state.json",
    as: "admin",
    setup: server(),
    request: action("admin-actions-reset-server-state.json"),
    empty: true,
  },
  {
    sample: "os-admin-actions/admin-actions-reset-network.json",
    as: "admin",
    setup: server(),
    // removed from nova: 410 at every microversion
    request: action("admin-actions-reset-network.json", { status: 410 }),
    empty: false,
  },
  {
    sample: "server-metadata/server-metadata-req.json",
    setup: server(),
    request: {
      method: "PUT",
      path: "/servers/{server_id}/metadata/foo",
      body: { sample: "server-metadata-req.json" },
    },
    empty: false,
  },
  {
    sample: "os-keypairs/v2.92/keypairs-post-req.json",
    as: "admin",
    // deliberately invalid: from 2.92 nova generates no keys, and its tests expect 400
    request: {
      method: "POST",
      path: "/os-keypairs",
      status: 400,
      body: { sample: "keypairs-post-req.json" },
    },
    empty: false,
  },
  {
    sample: "flavor-access/v2.7/flavor-access-add-tenant-req.json",
    as: "admin",
    setup: [flavor("flavor-access/v2.7/flavor-create-req.json")],
    // the flavor is public: from 2.7 sharing it is a conflict
    request: {
      method: "POST",
      path: "/flavors/{flavor_id}/action",
      status: 409,
      body: { sample: "flavor-access-add-tenant-req.json" },
    },
    empty: false,
  },
];
