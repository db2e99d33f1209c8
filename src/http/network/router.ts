import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.js";
import { NetworkNotFound, PortNotFound, SubnetNotFound } from "../../services/network/errors.js";
import { FloatingIPNotFound, RouterNotFound } from "../../services/network/l3-errors.js";
import type { NeutronService } from "../../services/network/neutron-service.js";
import {
  SecurityGroupNotFound,
  SecurityGroupRuleNotFound,
} from "../../services/network/security-group-errors.js";
import { DEFAULT_ZONE } from "../../services/network/standard-attributes.js";
import { type Authenticate, authHook } from "../auth-hook.js";
import { HttpFault } from "../faults.js";
import { describeRoutes } from "../openapi/fastify-routes.js";
import { autoAllocatedTopologyRoutes } from "./auto-allocated-topology.js";
import { installNeutronErrors } from "./errors.js";
import { extensionsOf } from "./extensions.js";
import { FLOATING_IP_ATTRIBUTES } from "./floating-ips.js";
import { ipAvailabilityRoutes } from "./ip-availability.js";
import { NETWORK_ATTRIBUTES } from "./networks.js";
import { PORT_ATTRIBUTES } from "./ports.js";
import { quotaRoutes } from "./quotas.js";
import { queryOf, type Resource, type ResourceService, resourceRoutes } from "./resources.js";
import { ROUTER_ATTRIBUTES, routerInterfaceRoutes } from "./routers.js";
import { SECURITY_GROUP_ATTRIBUTES, SECURITY_GROUP_RULE_ATTRIBUTES } from "./security-groups.js";
import { SUBNET_ATTRIBUTES } from "./subnets.js";

export interface NetworkDeps {
  neutron: NeutronService;
  authenticate: Authenticate;
  config: Config;
}

/** The zones of the availability_zone extension: the one zone, for networks. */
const ZONES = [{ name: DEFAULT_ZONE, resource: "network", state: "available" }];

/**
 * Mounts the Neutron v2.0 subset under `/network`: version discovery without a token, and
 * behind the token check networks, subnets, ports, routers, floating IPs, security groups,
 * their tags, quotas, IP availability, auto-allocated topologies, availability zones and
 * the extension list. Errors in this scope have Neutron's `NeutronError` bodies; responses
 * carry x-openstack-request-id only.
 */
export async function registerNetwork(app: FastifyInstance, deps: NetworkDeps): Promise<void> {
  const publicUrl = deps.config.publicUrl.replace(/\/+$/, "");
  const networkUrl = `${publicUrl}/network`;
  const { neutron } = deps;
  // the services take changes typed by resource; the attribute maps produced exactly those keys
  const resources: Resource[] = [
    {
      member: "network",
      collection: "networks",
      attributes: NETWORK_ATTRIBUTES,
      service: neutron.networks as unknown as ResourceService,
      notFound: (id) => new NetworkNotFound(id),
    },
    {
      member: "subnet",
      collection: "subnets",
      attributes: SUBNET_ATTRIBUTES,
      service: neutron.subnets as unknown as ResourceService,
      notFound: (id) => new SubnetNotFound(id),
    },
    {
      member: "port",
      collection: "ports",
      attributes: PORT_ATTRIBUTES,
      service: neutron.ports as unknown as ResourceService,
      notFound: (id) => new PortNotFound(id),
    },
    {
      member: "router",
      collection: "routers",
      attributes: ROUTER_ATTRIBUTES,
      service: neutron.routers as unknown as ResourceService,
      notFound: (id) => new RouterNotFound(id),
    },
    {
      member: "floatingip",
      collection: "floatingips",
      attributes: FLOATING_IP_ATTRIBUTES,
      service: neutron.floatingIps as unknown as ResourceService,
      notFound: (id) => new FloatingIPNotFound(id),
    },
    {
      member: "security_group",
      collection: "security-groups",
      plural: "security_groups",
      attributes: SECURITY_GROUP_ATTRIBUTES,
      service: neutron.securityGroups as unknown as ResourceService,
      notFound: (id) => new SecurityGroupNotFound(id),
    },
    {
      member: "security_group_rule",
      collection: "security-group-rules",
      plural: "security_group_rules",
      attributes: SECURITY_GROUP_RULE_ATTRIBUTES,
      service: neutron.securityGroupRules as unknown as ResourceService,
      notFound: (id) => new SecurityGroupRuleNotFound(id),
      tagged: false,
    },
  ];
  const extensions = extensionsOf(resources.map((r) => r.attributes));

  await app.register(
    async (scope) => {
      describeRoutes(scope, { title: "OpenStack Networking API", version: "2.0" });
      installNeutronErrors(scope, `${publicUrl}/identity`);
      scope.addHook("onRequest", async (_request, reply) => {
        reply.removeHeader("x-compute-request-id");
      });

      scope.get("/", async () => ({
        versions: [{ id: "v2.0", status: "CURRENT", links: [{ href: `${networkUrl}/v2.0/`, rel: "self" }] }],
      }));

      await scope.register(async (v2) => {
        v2.addHook("onRequest", authHook(deps.authenticate));
        const resourceList = async () => ({
          resources: resources.map((r) => ({
            name: r.member,
            collection: r.collection,
            links: [{ href: `${networkUrl}/v2.0/${r.collection}`, rel: "self" }],
          })),
        });
        v2.get("/v2.0", resourceList);
        v2.get("/v2.0/", resourceList);
        v2.get("/v2.0/extensions", async () => ({ extensions }));
        v2.get<{ Params: { alias: string } }>("/v2.0/extensions/:alias", async (request) => {
          const extension = extensions.find((e) => e.alias === request.params.alias);
          if (!extension)
            throw new HttpFault(404, `Extension with alias ${request.params.alias} does not exist`);
          return { extension };
        });
        v2.get("/v2.0/availability_zones", async (request) => {
          const query = queryOf(request);
          for (const key of query.keys()) {
            if (!["name", "resource", "state", "fields"].includes(key))
              throw new HttpFault(400, `[${key}] is invalid attribute for filtering`);
          }
          const zones = ZONES.filter((zone) =>
            (["name", "resource", "state"] as const).every((key) => {
              const wanted = query.getAll(key);
              return wanted.length === 0 || wanted.includes(zone[key]);
            }),
          );
          return { availability_zones: zones };
        });
        for (const resource of resources) resourceRoutes(v2, resource, neutron.tags, networkUrl);
        routerInterfaceRoutes(v2, neutron.routers);
        quotaRoutes(v2, neutron.quotas);
        ipAvailabilityRoutes(v2, neutron.ipAvailability);
        autoAllocatedTopologyRoutes(v2, neutron.autoAllocation);
      });
    },
    { prefix: "/network" },
  );
}
