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
  serverGroup,
  stoppedServer,
} from "./fixtures.js";
import type { BodySpec, Call, Caller, RequestFix, SampleValues, Step } from "./harness.js";
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
  // the hosts nova's migrate and unshelve samples name: here, the one compute host
  host1: "{host}",
  host01: "{host}",
  "01c0cadef72d47e28a672a76060d492c": "{host}",
  // nova's test project and user ids
  fake_tenant: "{demo_project_id}",
  fake: "{demo_user_id}",
  // placeholders of the functional-test templates
  "%(access_ip_v4)s": "1.2.3.4",
  "%(access_ip_v6)s": "80fe::",
  "%(user_data)s": "IyEvYmluL2Jhc2gKL2Jpbi9zdQplY2hvICJJIGFtIGluIHlvdSEiCg==",
  // nova's 2.71 sample server group, named by the create request's `group` hint
  "f3d86fe6-4246-4be8-b87c-eb894626c741": "{group_id}",
  // the server of nova's external event sample
  "3df201cf-2451-44f2-8d25-a4ca826fc1f3": "{server_id}",
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
  {
    sample: "os-server-external-events/event-create-req.json",
    set: { "events.0.name": "network-changed" },
    reason:
      "the doc sample's event name (test-event) is not one nova's schema admits; the response sample shows network-changed, the event nova's functional test sends",
  },
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
    {
      sample: `${at}/user-quotas-update-post-resp.json`,
      as: "admin",
      request: {
        method: "PUT",
        path: "/os-quota-sets/{demo_project_id}?user_id={demo_user_id}",
        body: { sample: "user-quotas-update-post-req.json" },
      },
    },
  ];
};

function imageMetadataRows(): SampleRow[] {
  const kernel = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b";
  const ownImage: Call = {
    method: "POST",
    path: "/image/v2/images",
    status: 201,
    body: { json: { name: "metadata-image", kernel_id: kernel } },
    save: { own_image_id: "body:id" },
  };
  const meta = "/images/{own_image_id}/metadata";
  return [
    {
      sample: "images/image-metadata-get-resp.json",
      setup: [ownImage],
      request: { method: "GET", path: meta },
    },
    {
      sample: "images/image-meta-key-get.json",
      setup: [ownImage],
      request: { method: "GET", path: `${meta}/kernel_id` },
    },
    {
      sample: "images/image-metadata-post-resp.json",
      setup: [ownImage],
      request: {
        method: "POST",
        path: meta,
        status: 200,
        body: { sample: "image-metadata-post-req.json", set: { "metadata.kernel_id": kernel } },
      },
    },
    {
      sample: "images/image-metadata-put-resp.json",
      setup: [ownImage],
      request: { method: "PUT", path: meta, body: { sample: "image-metadata-put-req.json" } },
    },
    {
      sample: "images/image-meta-key-put-resp.json",
      setup: [ownImage],
      request: {
        method: "PUT",
        path: `${meta}/auto_disk_config`,
        body: { sample: "image-meta-key-put-req.json" },
      },
    },
  ];
}

/** os-interface rows of one sample directory: list and show where it has them, and attach. */
function attachInterfaceRows(dir: string, opts: { list: boolean }): SampleRow[] {
  const at = dir ? `os-attach-interfaces/${dir}` : "os-attach-interfaces";
  const ports = "/servers/{server_id}/os-interface";
  const firstPort: Call = {
    method: "GET",
    path: ports,
    save: {
      port_id: "body:interfaceAttachments[0].port_id",
      network_id: "body:interfaceAttachments[0].net_id",
    },
  };
  const rows: SampleRow[] = [
    {
      sample: `${at}/attach-interfaces-create-resp.json`,
      setup: [...server(), firstPort],
      request: {
        method: "POST",
        path: ports,
        status: 200,
        body: {
          sample: "attach-interfaces-create-req.json",
          set: { "interfaceAttachment.net_id": "{network_id}" },
          omit: ["interfaceAttachment.port_id"],
        },
      },
    },
  ];
  if (opts.list && dir === "") {
    // the functional tests' templates of the same two answers
    rows.push(
      {
        sample: "extra:servers/attach-interfaces-list-resp.json.tpl",
        setup: server(),
        request: { method: "GET", path: ports },
      },
      {
        sample: "extra:servers/attach-interfaces-show-resp.json.tpl",
        setup: [...server(), firstPort],
        request: { method: "GET", path: `${ports}/{port_id}` },
      },
    );
  }
  if (opts.list) {
    rows.push(
      {
        sample: `${at}/attach-interfaces-list-resp.json`,
        setup: server(),
        request: { method: "GET", path: ports },
      },
      {
        sample: `${at}/attach-interfaces-show-resp.json`,
        setup: [...server(), firstPort],
        request: { method: "GET", path: `${ports}/{port_id}` },
      },
    );
  }
  return rows;
}

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

const createServerGroup: Call = {
  method: "POST",
  path: "/os-server-groups",
  status: 200,
  body: { sample: "server-groups-post-req.json" },
};

const serverGroupRows = (dir: string): SampleRow[] => {
  const at = dir ? `os-server-groups/${dir}` : "os-server-groups";
  return [
    { sample: `${at}/server-groups-post-resp.json`, request: createServerGroup },
    {
      sample: `${at}/server-groups-get-resp.json`,
      setup: [serverGroup],
      request: { method: "GET", path: "/os-server-groups/{group_id}" },
    },
    {
      sample: `${at}/server-groups-list-resp.json`,
      setup: [serverGroup],
      request: { method: "GET", path: "/os-server-groups" },
    },
  ];
};

/** An aggregate from the create request sample (zone "london"), its id saved as `aggregate_id`. */
const aggregate: Step = {
  method: "POST",
  path: "/os-aggregates",
  status: 200,
  body: { sample: "aggregate-post-req.json" },
  save: { aggregate_id: "body:aggregate.id" },
};

/** An aggregate action by its request sample; nova's test host "compute" is this machine's. */
const aggregateAction = (sample: string, host?: "add_host" | "remove_host"): Call => ({
  method: "POST",
  path: "/os-aggregates/{aggregate_id}/action",
  status: 200,
  body: host ? { sample, set: { [`${host}.host`]: "{host}" } } : { sample },
});
const addHost = aggregateAction("aggregate-add-host-post-req.json", "add_host");

const aggregateRows = (dir: string): SampleRow[] => {
  const at = dir ? `os-aggregates/${dir}` : "os-aggregates";
  return [
    { sample: `${at}/aggregate-post-resp.json`, as: "admin", request: aggregate },
    {
      sample: `${at}/aggregate-update-post-resp.json`,
      as: "admin",
      setup: [aggregate],
      request: {
        method: "PUT",
        path: "/os-aggregates/{aggregate_id}",
        body: { sample: "aggregate-update-post-req.json" },
      },
    },
    { sample: `${at}/aggregates-add-host-post-resp.json`, as: "admin", setup: [aggregate], request: addHost },
    {
      sample: `${at}/aggregates-get-resp.json`,
      as: "admin",
      setup: [aggregate],
      request: { method: "GET", path: "/os-aggregates/{aggregate_id}" },
    },
    {
      sample: `${at}/aggregates-list-get-resp.json`,
      as: "admin",
      setup: [aggregate, addHost],
      request: { method: "GET", path: "/os-aggregates" },
    },
    {
      sample: `${at}/aggregates-metadata-post-resp.json`,
      as: "admin",
      setup: [aggregate],
      request: aggregateAction("aggregate-metadata-post-req.json"),
    },
    {
      sample: `${at}/aggregates-remove-host-post-resp.json`,
      as: "admin",
      setup: [aggregate, addHost],
      request: aggregateAction("aggregate-remove-host-post-req.json", "remove_host"),
    },
  ];
};

const quotaClassRows = (dir: string): SampleRow[] => {
  const at = dir ? `os-quota-class-sets/${dir}` : "os-quota-class-sets";
  return [
    {
      sample: `${at}/quota-classes-show-get-resp.json`,
      as: "admin",
      request: { method: "GET", path: "/os-quota-class-sets/default" },
    },
    {
      sample: `${at}/quota-classes-update-post-resp.json`,
      as: "admin",
      // nova's sample test class: writing `default` would change every project's defaults
      request: {
        method: "PUT",
        path: "/os-quota-class-sets/test_class",
        body: { sample: "quota-classes-update-post-req.json" },
      },
    },
  ];
};

// ---- the table ---------------------------------------------------------------------

/** The compute service of the world's host forced down (the sweep brings it back up). */
const hostForcedDown: Step[] = [
  {
    method: "GET",
    path: "/os-services?binary=nova-compute",
    as: "admin",
    version: "2.53",
    save: { service_id: "body:services[0].id" },
  },
  {
    method: "PUT",
    path: "/os-services/{service_id}",
    as: "admin",
    version: "2.53",
    body: { json: { forced_down: true } },
  },
];
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
  // 2.71: server_groups in show; the create request names a group
  { sample: "servers/v2.71/server-groups-post-resp.json", request: createServerGroup },
  { sample: "servers/v2.71/server-create-resp.json", setup: [serverGroup], request: create },
  { sample: "servers/v2.71/server-update-resp.json", setup: [serverGroup, ...server()], request: update },
  {
    sample: "servers/v2.71/server-action-rebuild-resp.json",
    setup: [serverGroup, ...server()],
    request: rebuild,
  },
  {
    sample: "servers/v2.71/server-get-resp.json",
    as: "admin",
    setup: [serverGroup, ...server()],
    request: show,
  },
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
  ...["os-rescue", "os-rescue/v2.87"].flatMap((at): SampleRow[] => {
    const rescued: Step[] = [...server(), action(`${at}/server-rescue-req.json`, { status: 200 }), drain];
    return [
      {
        sample: `${at}/server-rescue.json`,
        setup: server(),
        request: action("server-rescue-req.json", { status: 200 }),
      },
      { sample: `${at}/server-get-resp-rescue.json`, setup: rescued, request: show },
      {
        sample: `${at}/server-get-resp-unrescue.json`,
        setup: [...rescued, action(`${at}/server-unrescue-req.json`), drain],
        request: show,
      },
    ];
  }),
  {
    sample: "os-create-backup/v2.45/create-backup-resp.json",
    // the create request nearest below 2.45 boots from a volume
    setup: server({ sample: "servers/v2.37/server-create-req.json" }),
    request: action("create-backup-req.json"),
  },
  {
    sample: "os-console-output/console-output-post-resp.json",
    setup: server(),
    request: action("console-output-post-req.json", { status: 200 }),
  },
  {
    sample: "os-remote-consoles/get-serial-console-post-resp.json",
    setup: server(),
    request: action("get-serial-console-post-req.json", { status: 200 }),
  },
  {
    sample: "os-console-auth-tokens/v2.31/get-console-connect-info-get-resp.json",
    as: "admin",
    setup: [
      ...server(),
      {
        method: "POST",
        path: "/servers/{server_id}/remote-consoles",
        body: { sample: "create-serial-console-req.json" },
        status: 200,
        save: { console_token: "token:remote_console.url" },
      },
    ],
    request: { method: "GET", path: "/os-console-auth-tokens/{console_token}" },
  },
  // evacuate with the server's host forced down: nova's 200, then no other host is found
  {
    sample: "os-evacuate/server-evacuate-find-host-resp.json",
    as: "admin",
    setup: [...server(), ...hostForcedDown],
    request: action("server-evacuate-find-host-req.json", { status: 200 }),
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

  // nova's image proxy over Glance; by name, so that snapshots other rows made (with their server link) stay out
  {
    sample: "images/images-list-get-resp.json",
    request: { method: "GET", path: "/images?name=cirros-0.6.2-x86_64-disk" },
  },
  {
    sample: "images/images-details-get-resp.json",
    request: { method: "GET", path: "/images/detail?name=cirros-0.6.2-x86_64-disk" },
  },

  // nova's image metadata proxy, on an image of the demo user's (Glance wants kernel_id a UUID)
  ...imageMetadataRows(),

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

  // server groups
  ...serverGroupRows(""),
  ...serverGroupRows("v2.13"),
  ...serverGroupRows("v2.64"),

  // os-interface: a server's ports; attachments are made by network (nimbus's conformance
  // requests reach compute only, so the port_id request samples name the server's network)
  ...attachInterfaceRows("", { list: true }),
  ...attachInterfaceRows("v2.49", { list: false }),
  ...attachInterfaceRows("v2.70", { list: true }),

  // the encrypted password a guest leaves ("" here: nimbus guests leave none)
  {
    sample: "os-server-password/get-password-resp.json",
    setup: server(),
    request: { method: "GET", path: "/servers/{server_id}/os-server-password" },
  },

  // nova's fixed extension list; the legacy /v2 endpoint's has one more
  { sample: "extension-info/extensions-list-resp.json", request: { method: "GET", path: "/extensions" } },
  { sample: "extra:extensions-list-resp.json.tpl", request: { method: "GET", path: "/extensions" } },
  {
    sample: "extension-info/extensions-list-resp-v21-compatible.json",
    request: { method: "GET", path: "/compute/v2/extensions" },
  },
  {
    sample: "extra:extensions-list-resp-v21-compatible.json.tpl",
    request: { method: "GET", path: "/compute/v2/extensions" },
  },
  {
    sample: "extension-info/extensions-get-resp.json",
    request: { method: "GET", path: "/extensions/os-agents" },
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
  ...quotaClassRows(""),
  ...quotaClassRows("v2.50"),
  ...quotaClassRows("v2.57"),

  // host aggregates
  ...aggregateRows(""),
  ...aggregateRows("v2.41"),
  ...aggregateRows("v2.81"),

  // os-hosts (up to 2.42)
  { sample: "os-hosts/hosts-list-resp.json", as: "admin", request: { method: "GET", path: "/os-hosts" } },
  {
    sample: "os-hosts/host-get-resp.json",
    as: "admin",
    request: { method: "GET", path: "/os-hosts/{host}" },
  },

  // moves of servers, what their host and other services tell about them
  ...migrationRows(),
  ...hostReportRows(),

  // the compute host as the admin APIs show it
  ...availabilityZoneRows(),
  ...hypervisorRows(),
  ...usageRows(),
  // last of the rows: they disable and force down the compute service, each version's
  // group ending with it enabled and up again (the request rows that follow boot servers)
  ...serviceRows(),
];

function availabilityZoneRows(): SampleRow[] {
  return [
    {
      sample: "os-availability-zone/availability-zone-list-resp.json",
      request: { method: "GET", path: "/os-availability-zone" },
    },
    {
      sample: "os-availability-zone/availability-zone-detail-resp.json",
      as: "admin",
      request: { method: "GET", path: "/os-availability-zone/detail" },
      // hosts by name, each with its services by binary
      maps: ["$.availabilityZoneInfo[].hosts", "$.availabilityZoneInfo[].hosts{}"],
    },
  ];
}

function hypervisorRows(): SampleRow[] {
  const saveId: Step = {
    method: "GET",
    path: "/os-hypervisors",
    save: { hypervisor_id: "body:hypervisors[0].id" },
  };
  const row = (sample: string, path: string, setup: Step[] = []): SampleRow => ({
    sample: sample.startsWith("extra:") ? sample : `os-hypervisors/${sample}`,
    as: "admin",
    setup,
    request: { method: "GET", path },
  });
  const pattern = "/os-hypervisors?hypervisor_hostname_pattern={host}";
  // before 2.53: integer ids, and the search and servers routes
  const early = (dir: string) => [
    row(`${dir}hypervisors-list-resp.json`, "/os-hypervisors"),
    row(`${dir}hypervisors-detail-resp.json`, "/os-hypervisors/detail"),
    row(`${dir}hypervisors-show-resp.json`, "/os-hypervisors/{hypervisor_id}", [saveId]),
    row(`${dir}hypervisors-statistics-resp.json`, "/os-hypervisors/statistics"),
    row(`${dir}hypervisors-uptime-resp.json`, "/os-hypervisors/{hypervisor_id}/uptime", [saveId]),
    row(`${dir}hypervisors-search-resp.json`, "/os-hypervisors/{host}/search"),
    row(`${dir}hypervisors-with-servers-resp.json`, "/os-hypervisors/{host}/servers", server()),
    row(`${dir}hypervisors-without-servers-resp.json`, "/os-hypervisors/{host}/servers"),
  ];
  // from 2.53: uuids, and hostname pattern and servers as query parameters (nova's list
  // samples were made with limit=1, hence their links)
  const late = (dir: string) => [
    row(`${dir}hypervisors-list-resp.json`, "/os-hypervisors?limit=1"),
    row(`${dir}hypervisors-detail-resp.json`, "/os-hypervisors/detail?limit=1"),
    row(
      `${dir}hypervisors-detail-with-servers-resp.json`,
      "/os-hypervisors/detail?with_servers=true",
      server(),
    ),
    row(`${dir}hypervisors-show-resp.json`, "/os-hypervisors/{hypervisor_id}", [saveId]),
    row(
      `${dir}hypervisors-show-with-servers-resp.json`,
      "/os-hypervisors/{hypervisor_id}?with_servers=true",
      [...server(), saveId],
    ),
    row(`${dir}hypervisors-search-resp.json`, pattern),
    row(`${dir}hypervisors-with-servers-resp.json`, `${pattern}&with_servers=true`, server()),
  ];
  return [
    ...early(""),
    ...early("v2.28/"),
    row("v2.33/hypervisors-list-resp.json", "/os-hypervisors?limit=1"),
    row("v2.33/hypervisors-detail-resp.json", "/os-hypervisors/detail?limit=1"),
    ...late("v2.53/"),
    row("v2.53/hypervisors-statistics-resp.json", "/os-hypervisors/statistics"),
    row("v2.53/hypervisors-uptime-resp.json", "/os-hypervisors/{hypervisor_id}/uptime", [saveId]),
    row("v2.53/hypervisors-without-servers-resp.json", "/os-hypervisors?with_servers=false"),
    ...late("v2.88/"),
    row(
      "extra:os-hypervisors/v2.88/hypervisors-without-servers-resp.json.tpl",
      "/os-hypervisors?with_servers=false",
    ),
  ];
}

function usageRows(): SampleRow[] {
  // the period starts when the row's server was asked for: servers deleted by the sweeps
  // of earlier rows ended before it (the create action's start_time is in nova's format)
  const since: Step[] = [
    ...server(),
    {
      method: "GET",
      path: "/servers/{server_id}/os-instance-actions",
      version: "2.1",
      save: { t0: "body:instanceActions[0].start_time" },
    },
  ];
  const row = (sample: string, path: string, as?: Caller): SampleRow => ({
    sample: `os-simple-tenant-usage/${sample}`,
    as,
    setup: since,
    request: { method: "GET", path },
  });
  const all = "/os-simple-tenant-usage?start={t0}";
  const mine = "/os-simple-tenant-usage/{project_id}?start={t0}";
  return [
    row("simple-tenant-usage-get.json", all, "admin"),
    row("simple-tenant-usage-get-detail.json", `${all}&detailed=1`, "admin"),
    row("simple-tenant-usage-get-specific.json", mine),
    row("v2.40/simple-tenant-usage-get.json", `${all}&limit=1`, "admin"),
    row("v2.40/simple-tenant-usage-get-detail.json", `${all}&detailed=1&limit=1`, "admin"),
    row("v2.40/simple-tenant-usage-get-all.json", `${all}&detailed=1`, "admin"),
    row("v2.40/simple-tenant-usage-get-specific.json", `${mine}&limit=1`),
  ];
}

function serviceRows(): SampleRow[] {
  const put = (path: string, body: BodySpec): Call => ({ method: "PUT", path, body });
  const row = (sample: string, request: Call, setup: Step[] = []): SampleRow => ({
    sample: `os-services/${sample}`,
    as: "admin",
    setup,
    request,
  });
  const list: Call = { method: "GET", path: "/os-services" };
  // before 2.53 the path names the action and the body names the service
  const legacy = (dir: string) => [
    row(`${dir}services-list-get-resp.json`, list),
    row(
      `${dir}service-disable-put-resp.json`,
      put("/os-services/disable", { sample: "service-disable-put-req.json" }),
    ),
    row(
      `${dir}service-disable-log-put-resp.json`,
      put("/os-services/disable-log-reason", { sample: "service-disable-log-put-req.json" }),
    ),
  ];
  const enable = (dir: string, setup: Step[] = []) =>
    row(
      `${dir}service-enable-put-resp.json`,
      put("/os-services/enable", { sample: "service-enable-put-req.json" }),
      setup,
    );
  const forcedUp = (version: string, body: unknown, path: string): Step => ({
    method: "PUT",
    path,
    version,
    body: { json: body },
  });
  // from 2.53 the path names the service by uuid
  const saveId: Step = {
    method: "GET",
    path: "/os-services?binary=nova-compute",
    save: { service_id: "body:services[0].id" },
  };
  const byId = (sample: string) => put("/os-services/{service_id}", { sample });
  return [
    ...legacy(""),
    enable(""),
    ...legacy("v2.11/"),
    row(
      "v2.11/service-force-down-put-resp.json",
      put("/os-services/force-down", { sample: "service-force-down-put-req.json" }),
    ),
    enable("v2.11/", [
      forcedUp(
        "2.11",
        { host: "{host}", binary: "nova-compute", forced_down: false },
        "/os-services/force-down",
      ),
    ]),
    row("v2.53/services-list-get-resp.json", list),
    row("v2.53/service-disable-put-resp.json", byId("service-disable-put-req.json"), [saveId]),
    row("v2.53/service-disable-log-put-resp.json", byId("service-disable-log-put-req.json"), [saveId]),
    // the sample's service was disabled with a reason before it was forced down
    row("v2.53/service-force-down-put-resp.json", byId("service-force-down-put-req.json"), [
      saveId,
      forcedUp("2.53", { status: "disabled", disabled_reason: "test2" }, "/os-services/{service_id}"),
    ]),
    row("v2.53/service-enable-put-resp.json", byId("service-enable-put-req.json"), [
      saveId,
      forcedUp("2.53", { forced_down: false }, "/os-services/{service_id}"),
    ]),
  ];
}

/**
 * Migration records: nimbus's come from resizes here (their every field is filled in);
 * its live migrations are refused before they start (one compute host), so no record is
 * ever a live migration in progress and a server's list of those is empty.
 */
function migrationRows(): SampleRow[] {
  const resize = action("servers/server-action-resize.json", { version: "2.1" });
  /** A server resized (its migration finished); `before_resize` and `after_resize` mark the time around it. */
  const resized: Step[] = [...server(), { mark: "before_resize" }, resize, drain, { mark: "after_resize" }];
  /** The same, reverted and resized again: two records, the newer one's uuid saved as `migration_uuid`. */
  const twice: Step[] = [
    ...resized,
    action("servers/server-action-revert-resize.json", { version: "2.1" }),
    drain,
    resize,
    drain,
    {
      method: "GET",
      path: "/os-migrations?limit=1",
      version: "2.59",
      save: { migration_uuid: "body:migrations[0].uuid" },
    },
  ];
  const list = (sample: string, query = "", setup = resized): SampleRow => ({
    sample: `os-migrations/${sample}`,
    as: "admin",
    setup,
    request: { method: "GET", path: `/os-migrations${query}` },
  });
  const paged = (dir: string) => [
    list(`${dir}/migrations-get.json`),
    list(`${dir}/migrations-get-with-limit.json`, "?limit=1"),
    list(`${dir}/migrations-get-with-marker.json`, "?marker={migration_uuid}", twice),
    list(`${dir}/migrations-get-with-changes-since.json`, "?changes-since={before_resize}"),
  ];
  const changesBefore = (dir: string) =>
    list(`${dir}/migrations-get-with-changes-before.json`, "?changes-before={after_resize}");
  const inProgress = (dir: string): SampleRow => ({
    sample: `server-migrations/${dir}/migrations-index.json`,
    as: "admin",
    setup: server(),
    request: { method: "GET", path: "/servers/{server_id}/migrations" },
  });
  return [
    list("migrations-get.json"),
    list("v2.23/migrations-get.json"),
    ...paged("v2.59"),
    ...paged("v2.66"),
    changesBefore("v2.66"),
    ...paged("v2.80"),
    changesBefore("v2.80"),
    list("v2.80/migrations-get-with-user-or-project-id.json", "?user_id={user_id}&project_id={project_id}"),
    inProgress("v2.23"),
    inProgress("v2.59"),
    inProgress("v2.80"),
  ];
}

/** What a server's host reports (diagnostics, topology, usage audits) and what other services tell nova. */
function hostReportRows(): SampleRow[] {
  const get = (sample: string, path: string, as: Caller = "admin"): SampleRow => ({
    sample,
    as,
    setup: server(),
    request: { method: "GET", path },
  });
  return [
    get("os-server-diagnostics/server-diagnostics-get-resp.json", "/servers/{server_id}/diagnostics"),
    get("os-server-diagnostics/v2.48/server-diagnostics-get-resp.json", "/servers/{server_id}/diagnostics"),
    get("os-server-topology/v2.78/servers-topology-resp.json", "/servers/{server_id}/topology"),
    get(
      "os-server-topology/v2.78/servers-topology-resp-user.json",
      "/servers/{server_id}/topology",
      "member",
    ),
    {
      sample: "os-server-external-events/event-create-resp.json",
      as: "admin",
      setup: server(),
      request: {
        method: "POST",
        path: "/os-server-external-events",
        status: 200,
        body: { sample: "event-create-req.json" },
      },
    },
    {
      sample: "os-instance-usage-audit-log/inst-usage-audit-log-index-get-resp.json",
      as: "admin",
      request: { method: "GET", path: "/os-instance_usage_audit_log" },
      maps: ["$.*.log"],
    },
    {
      sample: "os-instance-usage-audit-log/inst-usage-audit-log-show-get-resp.json",
      as: "admin",
      request: { method: "GET", path: "/os-instance_usage_audit_log/2012-07-01%2000:00:00" },
      maps: ["$.*.log"],
    },
  ];
}

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
  // whole areas
  { samples: "consoles/**", reason: "removed from nova (410)" },
  {
    samples: "images/image-get-resp.json",
    reason:
      "the sample's image has an auto_disk_config property (OS-DCF:diskConfig) and data; the bootstrap image has no such property, and a setup step cannot PATCH or upload to Glance (the route test covers it)",
  },
  { samples: "os-agents/**", reason: "removed from nova (410)" },
  { samples: "os-assisted-volume-snapshots/**", reason: "volumes are not implemented" },
  { samples: "os-baremetal-nodes/**", reason: "the baremetal proxy is not implemented" },
  { samples: "os-cells/**", reason: "removed from nova (410)" },
  { samples: "os-certificates/**", reason: "removed from nova (410)" },
  { samples: "os-cloudpipe/**", reason: "removed from nova (410)" },
  {
    samples: "os-console-auth-tokens/v2.99/**",
    reason:
      "the sample shows a token of a spice-direct console, which the fake host does not offer; a serial token's answer at 2.99 is in the route tests",
  },
  {
    samples: "os-evacuate/server-evacuate-resp.json",
    reason:
      "the request names another compute host; nimbus has one, so nova's answer is its 404 for an unknown host (in the route tests)",
  },
  { samples: "os-fixed-ips/**", reason: "removed from nova (410)" },
  { samples: "os-floating-ip-dns/**", reason: "removed from nova (410)" },
  { samples: "os-floating-ip-pools/**", reason: "the network proxy APIs are not implemented" },
  { samples: "os-floating-ips/**", reason: "the network proxy APIs are not implemented" },
  { samples: "os-floating-ips-bulk/**", reason: "removed from nova (410)" },
  { samples: "os-fping/**", reason: "removed from nova (410)" },
  {
    samples: "os-hosts/{host-get-reboot,host-get-shutdown,host-get-startup,host-put-maintenance-resp}.json",
    reason:
      "host power actions and maintenance mode: nimbus answers 501 as nova does with the libvirt driver (it cannot power its host or evacuate it); nova's samples come from its fake driver",
  },
  {
    samples: "os-networks/**",
    reason: "the network proxy APIs are not implemented (the rest is removed, 410)",
  },
  {
    samples:
      "os-remote-consoles/{get-vnc-console-post-resp,get-spice-console-post-resp,get-rdp-console-post-resp,v2.6/create-vnc-console-resp,v2.8/create-mks-console-resp,v2.99/create-spice-direct-console-resp}.json",
    reason:
      "the fake host offers a serial console only: nova's ConsoleTypeUnavailable (400) for vnc, spice and mks, and its 400 for rdp, are in the route tests",
  },
  { samples: "os-security-group-default-rules/**", reason: "removed from nova (410)" },
  { samples: "os-security-groups/**", reason: "the security group proxy APIs are not implemented" },
  { samples: "os-server-shares/**", reason: "server shares are not implemented" },
  {
    samples: "os-services/v2.69/services-list-get-resp.json",
    reason:
      "records of services in a down cell (status UNKNOWN, nothing else); nimbus has no cells, so at 2.69 it lists every service whole, as at 2.53",
  },
  { samples: "os-snapshots/**", reason: "volumes are not implemented" },
  {
    samples: "os-tenant-networks/**",
    reason: "the network proxy APIs are not implemented (the rest is removed, 410)",
  },
  { samples: "os-virtual-interfaces/**", reason: "removed from nova (410)" },
  { samples: "os-volume_attachments/**", reason: "volumes are not implemented" },
  { samples: "os-volumes/**", reason: "volumes are not implemented" },
  {
    samples: "server-migrations/**/migrations-get.json",
    reason:
      "a live migration in progress: nimbus has one compute host, where a live migration is refused before it starts, so there is none to show (nova's 404: it is not in progress)",
  },
];

/** Differences between a sample and nimbus's answer that are accepted, each with its reason. */
export const ACCEPTED: readonly AcceptedDifference[] = [
  {
    samples: "os-console-auth-tokens/v2.31/get-console-connect-info-get-resp.json",
    path: "$.console.internal_access_path",
    kind: "type",
    reason:
      "nova's fake driver makes up an access path; nimbus's serial console is reached at its host and port alone, so the path is null (as nova's libvirt serial consoles answer)",
  },
  ...["$.interfaceAttachments[].tag", "$.interfaceAttachment.tag"].map((path) => ({
    samples: "os-attach-interfaces/v2.70/attach-interfaces-{list,show}-resp.json",
    path,
    kind: "type" as const,
    reason:
      "nova's sample port was attached with a tag; the port nimbus lists and shows is the one the server booted with, which has none (null, as nova answers for an untagged port)",
  })),
  {
    samples: "os-availability-zone/availability-zone-detail-resp.json",
    path: "$.availabilityZoneInfo[].hosts{}{}.updated_at",
    kind: "type",
    reason:
      "nova's sample services had never reported (null); nimbus's report every 10 seconds, so they carry the time of the last report",
  },
  {
    samples: "os-services/**/services-list-get-resp.json",
    path: "$.services[].disabled_reason",
    kind: "type",
    reason:
      "nova's sample lists made-up services, most disabled with a reason (one of them a scheduler, which nova no longer lets anyone disable); nimbus's services are enabled, so their reason is null",
  },
  {
    samples: "os-hypervisors/v2.{28,33,53}/*",
    path: "**.cpu_info.features",
    kind: "empty",
    reason:
      "nimbus's fake host describes a simulated CPU, which has no feature flags; nova's fake driver names two made-up ones",
  },
  ...["$.hypervisors[].uptime", "$.hypervisor.uptime"].map((path) => ({
    samples: "os-hypervisors/v2.88/*",
    path,
    kind: "type" as const,
    reason:
      "nova's samples come from a compute whose uptime could not be read (null); nimbus's fake host answers the uptime line of the machine it runs on",
  })),
  {
    samples: "{servers,extra:servers}/**",
    path: "**.os-extended-volumes:volumes_attached",
    kind: "empty",
    reason: "nimbus has no block storage yet, so no server has volumes attached",
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
  {
    samples: "os-migrations/**",
    path: "$.migrations[].links",
    kind: "missing",
    reason:
      "positional: nova's samples hold a live migration in progress, which links to its server migration; nimbus's live migrations are refused before they start (one compute host), so none of its records has links",
  },
  {
    samples: "server-migrations/**/migrations-index.json",
    path: "$.migrations",
    kind: "empty",
    reason:
      "the sample lists a live migration in progress; nimbus's live migrations are refused before they start (one compute host), so the list is empty",
  },
  {
    samples: "os-server-diagnostics/server-diagnostics-get-resp.json",
    path: "$.*",
    kind: "missing",
    reason:
      "before 2.48 nova passes on its driver's own dictionary, here a libvirt guest's CPU, disk and interface counters; nimbus's fake host keeps no counters, so only the memory is there",
  },
  {
    samples: "os-server-diagnostics/v2.48/server-diagnostics-get-resp.json",
    path: "$.*_details**",
    kind: "type",
    reason:
      "nimbus's fake host keeps no CPU time, memory use or I/O counters: nova's format gives those as null (missing values), where the sample's libvirt guest has numbers",
  },
  {
    samples: "os-server-topology/**",
    path: "$.nodes",
    kind: "empty",
    reason:
      "the sample's server has a NUMA topology; nimbus's guests have none, for which nova answers no nodes",
  },
  {
    samples: "os-server-topology/**",
    path: "$.pagesize_kb",
    kind: "type",
    reason:
      "the sample's server has huge pages (NUMA); nimbus's guests have no NUMA topology, for which nova answers null",
  },
  {
    samples: "os-instance-usage-audit-log/**",
    path: "$.*.log",
    kind: "empty",
    reason:
      "the log holds the task logs of nova's periodic usage audit, one per compute host that ran it; nimbus runs no such audit, so there are none (its one host is in hosts_not_run)",
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
/** Shelved, which by default (nova's shelved_offload_time 0, as here) means offloaded at once. */
const shelved: Step[] = [...server(), action("os-shelve/os-shelve.json", { version: "2.1" }), drain];
const rescued: Step[] = [...server(), action("os-rescue/server-rescue-req.json", { status: 200 }), drain];
const resized: Step[] = [...server(), action("servers/server-action-resize.json", { version: "2.1" }), drain];

export const REQUEST_ROWS: readonly RequestRow[] = [
  ...["os-shelve", "os-shelve/v2.77", "os-shelve/v2.91"].map((at) => ({
    sample: `${at}/os-shelve.json`,
    setup: server(),
    request: action("os-shelve.json"),
    empty: true,
  })),
  ...[
    "os-shelve/os-unshelve.json",
    "os-shelve/v2.77/os-unshelve.json",
    "os-shelve/v2.77/os-unshelve-az.json",
    "os-shelve/v2.91/os-unshelve.json",
    "os-shelve/v2.91/os-unshelve-az.json",
    "os-shelve/v2.91/os-unshelve-unpin-az.json",
  ].map((sample) => ({ sample, setup: shelved, request: action(sample.split("/").at(-1)!), empty: true })),
  // a host to unshelve on is for admins
  ...[
    "os-shelve/v2.91/os-unshelve-host.json",
    "os-shelve/v2.91/os-unshelve-az-host.json",
    "os-shelve/v2.91/os-unshelve-host-and-unpin-az.json",
  ].map((sample) => ({
    sample,
    as: "admin" as const,
    setup: shelved,
    request: action(sample.split("/").at(-1)!),
    empty: true,
  })),
  {
    sample: "os-shelve/os-shelve-offload.json",
    as: "admin",
    setup: shelved,
    // nova's sample test keeps shelved servers on their host (shelved_offload_time -1); by
    // default a shelved server is offloaded at once, and offloading it again is a conflict
    request: action("os-shelve-offload.json", { status: 409 }),
    empty: false,
  },
  ...["os-rescue", "os-rescue/v2.87"].flatMap((at) => [
    {
      sample: `${at}/server-rescue-req-with-image-ref.json`,
      setup: server(),
      request: action("server-rescue-req-with-image-ref.json", { status: 200 }),
      empty: false,
    },
    {
      sample: `${at}/server-unrescue-req.json`,
      setup: rescued,
      request: action("server-unrescue-req.json"),
      empty: true,
    },
  ]),
  ...["v2.14", "v2.29", "v2.68", "v2.95"].map((at) => ({
    sample: `os-evacuate/${at}/server-evacuate-find-host-req.json`,
    as: "admin" as const,
    // the create request nearest below 2.68 boots from a volume
    setup: [
      ...(at === "v2.68" ? server({ sample: "servers/v2.63/server-create-req.json" }) : server()),
      ...hostForcedDown,
    ],
    request: action("server-evacuate-find-host-req.json", { status: 200 }),
    empty: true,
  })),
  // soft delete: the world runs with a reclaim interval
  {
    sample: "os-deferred-delete/restore-post-req.json",
    setup: [...server(), { method: "DELETE", path: "/servers/{server_id}" }, drain],
    request: action("restore-post-req.json"),
    empty: true,
  },
  {
    sample: "os-deferred-delete/force-delete-post-req.json",
    setup: [...server(), { method: "DELETE", path: "/servers/{server_id}" }, drain],
    request: action("force-delete-post-req.json"),
    empty: true,
  },
  {
    sample: "os-create-backup/create-backup-req.json",
    setup: server(),
    request: action("create-backup-req.json"),
    empty: true,
  },
  {
    sample: "os-admin-password/admin-password-change-password.json",
    setup: server(),
    request: action("admin-password-change-password.json"),
    empty: true,
  },
  // migrations: accepted, then refused by the conductor (there is no other host)
  ...[
    "os-migrate-server/migrate-server.json",
    "os-migrate-server/v2.56/migrate-server-null.json",
    "os-migrate-server/v2.68/live-migrate-server.json",
  ].map((sample) => ({
    sample,
    as: "admin" as const,
    // the create request nearest below 2.68 boots from a volume
    setup: sample.includes("v2.68") ? server({ sample: "servers/v2.63/server-create-req.json" }) : server(),
    request: action(sample.split("/").at(-1)!),
    empty: true,
  })),
  // ... or refused at once: the named host is the server's own (cold, and live with the
  // host forced before 2.30), or no other host is found while the API waits (before 2.34)
  ...[
    "os-migrate-server/v2.56/migrate-server.json",
    "os-migrate-server/live-migrate-server.json",
    "os-migrate-server/v2.25/live-migrate-server.json",
    "os-migrate-server/v2.30/live-migrate-server.json",
  ].map((sample) => ({
    sample,
    as: "admin" as const,
    setup: server(),
    request: action(sample.split("/").at(-1)!, { status: 400 }),
    empty: false,
  })),
  // live migrations of the server-migrations samples: forced to the server's own host before
  // 2.30 (refused at once, the API waiting for the conductor), else refused after the 202
  ...(
    [
      ["v2.22", 400],
      ["v2.24", 400],
      ["v2.65", 202],
      ["v2.80", 202],
    ] as const
  ).map(([dir, status]) => ({
    sample: `server-migrations/${dir}/live-migrate-server.json`,
    as: "admin" as const,
    setup: server(),
    request: action("live-migrate-server.json", { status }),
    empty: status === 202,
  })),
  {
    sample: "server-migrations/v2.22/force_complete.json",
    as: "admin",
    setup: server(),
    // no live migration runs, so there is none to force (nova's 409 for a server not migrating)
    request: {
      method: "POST",
      path: "/servers/{server_id}/migrations/1/action",
      status: 409,
      body: { sample: "force_complete.json" },
    },
    empty: false,
  },
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
    sample: "os-aggregates/v2.81/aggregate-images-post-req.json",
    as: "admin",
    setup: [aggregate],
    request: {
      method: "POST",
      path: "/os-aggregates/{aggregate_id}/images",
      body: { sample: "aggregate-images-post-req.json" },
    },
    empty: true,
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
