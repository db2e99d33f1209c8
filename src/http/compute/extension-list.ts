/**
 * The extensions nova lists at GET /extensions (nova/api/openstack/compute/extension_info.py):
 * a fixed list since extensions stopped being loadable, kept for clients that still probe it
 * (openstacksdk's cloud layer asks for it before it assigns a floating IP). Every entry has
 * the same namespace, no links and the same update time.
 */
export interface NovaExtension {
  readonly alias: string;
  readonly name: string;
  readonly description: string;
}

/** Listed on the legacy /v2 endpoint only (nova's v2.0-compatible list). */
export const LEGACY_V2_ONLY: ReadonlySet<string> = new Set(["OS-EXT-VIF-NET"]);

export const NOVA_EXTENSIONS: readonly NovaExtension[] = [
  { alias: "NMN", name: "Multinic", description: "Multiple network support." },
  { alias: "OS-DCF", name: "DiskConfig", description: "Disk Management Extension." },
  {
    alias: "OS-EXT-AZ",
    name: "ExtendedAvailabilityZone",
    description: "Extended Availability Zone support.",
  },
  { alias: "OS-EXT-IMG-SIZE", name: "ImageSize", description: "Adds image size to image listings." },
  { alias: "OS-EXT-IPS", name: "ExtendedIps", description: "Adds type parameter to the ip list." },
  {
    alias: "OS-EXT-IPS-MAC",
    name: "ExtendedIpsMac",
    description: "Adds mac address parameter to the ip list.",
  },
  {
    alias: "OS-EXT-SRV-ATTR",
    name: "ExtendedServerAttributes",
    description: "Extended Server Attributes support.",
  },
  { alias: "OS-EXT-STS", name: "ExtendedStatus", description: "Extended Status support." },
  {
    alias: "OS-EXT-VIF-NET",
    name: "ExtendedVIFNet",
    description: "Adds network id parameter to the virtual interface list.",
  },
  {
    alias: "OS-FLV-DISABLED",
    name: "FlavorDisabled",
    description: "Support to show the disabled status of a flavor.",
  },
  { alias: "OS-FLV-EXT-DATA", name: "FlavorExtraData", description: "Provide additional data for flavors." },
  {
    alias: "OS-SCH-HNT",
    name: "SchedulerHints",
    description: "Pass arbitrary key/value pairs to the scheduler.",
  },
  { alias: "OS-SRV-USG", name: "ServerUsage", description: "Adds launched_at and terminated_at on Servers." },
  { alias: "os-access-ips", name: "AccessIPs", description: "Access IPs support." },
  {
    alias: "os-admin-actions",
    name: "AdminActions",
    description:
      "Enable admin-only server actions\n\n    Actions include: resetNetwork, injectNetworkInfo, os-resetState\n    ",
  },
  { alias: "os-admin-password", name: "AdminPassword", description: "Admin password management support." },
  { alias: "os-agents", name: "Agents", description: "Agents support." },
  { alias: "os-aggregates", name: "Aggregates", description: "Admin-only aggregate administration." },
  {
    alias: "os-assisted-volume-snapshots",
    name: "AssistedVolumeSnapshots",
    description: "Assisted volume snapshots.",
  },
  { alias: "os-attach-interfaces", name: "AttachInterfaces", description: "Attach interface support." },
  {
    alias: "os-availability-zone",
    name: "AvailabilityZone",
    description:
      "1. Add availability_zone to the Create Server API.\n       2. Add availability zones describing.\n    ",
  },
  {
    alias: "os-baremetal-ext-status",
    name: "BareMetalExtStatus",
    description: "Add extended status in Baremetal Nodes v2 API.",
  },
  {
    alias: "os-baremetal-nodes",
    name: "BareMetalNodes",
    description: "Admin-only bare-metal node administration.",
  },
  {
    alias: "os-block-device-mapping",
    name: "BlockDeviceMapping",
    description: "Block device mapping boot support.",
  },
  {
    alias: "os-block-device-mapping-v2-boot",
    name: "BlockDeviceMappingV2Boot",
    description: "Allow boot with the new BDM data format.",
  },
  {
    alias: "os-cell-capacities",
    name: "CellCapacities",
    description: "Adding functionality to get cell capacities.",
  },
  {
    alias: "os-cells",
    name: "Cells",
    description:
      "Enables cells-related functionality such as adding neighbor cells,\n    listing neighbor cells, and getting the capabilities of the local cell.\n    ",
  },
  { alias: "os-certificates", name: "Certificates", description: "Certificates support." },
  {
    alias: "os-cloudpipe",
    name: "Cloudpipe",
    description:
      "Adds actions to create cloudpipe instances.\n\n    When running with the Vlan network mode, you need a mechanism to route\n    from the public Internet to your vlans.  This mechanism is known as a\n    cloudpipe.\n\n    At the time of creating this class, only OpenVPN is supported.  Support for\n    a SSH Bastion host is forthcoming.\n    ",
  },
  {
    alias: "os-cloudpipe-update",
    name: "CloudpipeUpdate",
    description: "Adds the ability to set the vpn ip/port for cloudpipe instances.",
  },
  { alias: "os-config-drive", name: "ConfigDrive", description: "Config Drive Extension." },
  {
    alias: "os-console-auth-tokens",
    name: "ConsoleAuthTokens",
    description: "Console token authentication support.",
  },
  {
    alias: "os-console-output",
    name: "ConsoleOutput",
    description: "Console log output support, with tailing ability.",
  },
  { alias: "os-consoles", name: "Consoles", description: "Interactive Console support." },
  { alias: "os-create-backup", name: "CreateBackup", description: "Create a backup of a server." },
  {
    alias: "os-create-server-ext",
    name: "Createserverext",
    description: "Extended support to the Create Server v1.1 API.",
  },
  { alias: "os-deferred-delete", name: "DeferredDelete", description: "Instance deferred delete." },
  { alias: "os-evacuate", name: "Evacuate", description: "Enables server evacuation." },
  {
    alias: "os-extended-evacuate-find-host",
    name: "ExtendedEvacuateFindHost",
    description: "Enables server evacuation without target host. Scheduler will select one to target.",
  },
  {
    alias: "os-extended-floating-ips",
    name: "ExtendedFloatingIps",
    description: "Adds optional fixed_address to the add floating IP command.",
  },
  {
    alias: "os-extended-hypervisors",
    name: "ExtendedHypervisors",
    description: "Extended hypervisors support.",
  },
  {
    alias: "os-extended-networks",
    name: "ExtendedNetworks",
    description: "Adds additional fields to networks.",
  },
  {
    alias: "os-extended-quotas",
    name: "ExtendedQuotas",
    description: "Adds ability for admins to delete quota and optionally force the update Quota command.",
  },
  {
    alias: "os-extended-rescue-with-image",
    name: "ExtendedRescueWithImage",
    description: "Allow the user to specify the image to use for rescue.",
  },
  { alias: "os-extended-services", name: "ExtendedServices", description: "Extended services support." },
  {
    alias: "os-extended-services-delete",
    name: "ExtendedServicesDelete",
    description: "Extended services deletion support.",
  },
  { alias: "os-extended-status", name: "ExtendedStatus", description: "Extended Status support." },
  { alias: "os-extended-volumes", name: "ExtendedVolumes", description: "Extended Volumes support." },
  { alias: "os-fixed-ips", name: "FixedIPs", description: "Fixed IPs support." },
  { alias: "os-flavor-access", name: "FlavorAccess", description: "Flavor access support." },
  { alias: "os-flavor-extra-specs", name: "FlavorExtraSpecs", description: "Flavors extra specs support." },
  { alias: "os-flavor-manage", name: "FlavorManage", description: "Flavor create/delete API support." },
  {
    alias: "os-flavor-rxtx",
    name: "FlavorRxtx",
    description: "Support to show the rxtx status of a flavor.",
  },
  {
    alias: "os-flavor-swap",
    name: "FlavorSwap",
    description: "Support to show the swap status of a flavor.",
  },
  { alias: "os-floating-ip-dns", name: "FloatingIpDns", description: "Floating IP DNS support." },
  { alias: "os-floating-ip-pools", name: "FloatingIpPools", description: "Floating IPs support." },
  { alias: "os-floating-ips", name: "FloatingIps", description: "Floating IPs support." },
  { alias: "os-floating-ips-bulk", name: "FloatingIpsBulk", description: "Bulk handling of Floating IPs." },
  { alias: "os-fping", name: "Fping", description: "Fping Management Extension." },
  {
    alias: "os-hide-server-addresses",
    name: "HideServerAddresses",
    description: "Support hiding server addresses in certain states.",
  },
  { alias: "os-hosts", name: "Hosts", description: "Admin-only host administration." },
  { alias: "os-hypervisor-status", name: "HypervisorStatus", description: "Show hypervisor status." },
  { alias: "os-hypervisors", name: "Hypervisors", description: "Admin-only hypervisor administration." },
  {
    alias: "os-instance-actions",
    name: "InstanceActions",
    description: "View a log of actions and events taken on an instance.",
  },
  {
    alias: "os-instance_usage_audit_log",
    name: "OSInstanceUsageAuditLog",
    description: "Admin-only Task Log Monitoring.",
  },
  { alias: "os-keypairs", name: "Keypairs", description: "Keypair Support." },
  { alias: "os-lock-server", name: "LockServer", description: "Enable lock/unlock server actions." },
  {
    alias: "os-migrate-server",
    name: "MigrateServer",
    description: "Enable migrate and live-migrate server actions.",
  },
  { alias: "os-migrations", name: "Migrations", description: "Provide data on migrations." },
  {
    alias: "os-multiple-create",
    name: "MultipleCreate",
    description: "Allow multiple create in the Create Server v2.1 API.",
  },
  { alias: "os-networks", name: "Networks", description: "Admin-only Network Management Extension." },
  {
    alias: "os-networks-associate",
    name: "NetworkAssociationSupport",
    description: "Network association support.",
  },
  { alias: "os-pause-server", name: "PauseServer", description: "Enable pause/unpause server actions." },
  { alias: "os-personality", name: "Personality", description: "Personality support." },
  {
    alias: "os-preserve-ephemeral-rebuild",
    name: "PreserveEphemeralOnRebuild",
    description: "Allow preservation of the ephemeral partition on rebuild.",
  },
  { alias: "os-quota-class-sets", name: "QuotaClasses", description: "Quota classes management support." },
  { alias: "os-quota-sets", name: "Quotas", description: "Quotas management support." },
  { alias: "os-rescue", name: "Rescue", description: "Instance rescue mode." },
  {
    alias: "os-security-group-default-rules",
    name: "SecurityGroupDefaultRules",
    description: "Default rules for security group support.",
  },
  { alias: "os-security-groups", name: "SecurityGroups", description: "Security group support." },
  {
    alias: "os-server-diagnostics",
    name: "ServerDiagnostics",
    description: "Allow Admins to view server diagnostics through server action.",
  },
  {
    alias: "os-server-external-events",
    name: "ServerExternalEvents",
    description: "Server External Event Triggers.",
  },
  {
    alias: "os-server-group-quotas",
    name: "ServerGroupQuotas",
    description: "Adds quota support to server groups.",
  },
  { alias: "os-server-groups", name: "ServerGroups", description: "Server group support." },
  {
    alias: "os-server-list-multi-status",
    name: "ServerListMultiStatus",
    description: "Allow to filter the servers by a set of status values.",
  },
  { alias: "os-server-password", name: "ServerPassword", description: "Server password support." },
  {
    alias: "os-server-sort-keys",
    name: "ServerSortKeys",
    description: "Add sorting support in get Server v2 API.",
  },
  {
    alias: "os-server-start-stop",
    name: "ServerStartStop",
    description: "Start/Stop instance compute API support.",
  },
  { alias: "os-services", name: "Services", description: "Services support." },
  { alias: "os-shelve", name: "Shelve", description: "Instance shelve mode." },
  {
    alias: "os-simple-tenant-usage",
    name: "SimpleTenantUsage",
    description: "Simple tenant usage extension.",
  },
  { alias: "os-suspend-server", name: "SuspendServer", description: "Enable suspend/resume server actions." },
  {
    alias: "os-tenant-networks",
    name: "OSTenantNetworks",
    description: "Tenant-based Network Management Extension.",
  },
  {
    alias: "os-used-limits",
    name: "UsedLimits",
    description: "Provide data on limited resources that are being used.",
  },
  {
    alias: "os-used-limits-for-admin",
    name: "UsedLimitsForAdmin",
    description: "Provide data to admin on limited resources used by other tenants.",
  },
  { alias: "os-user-data", name: "UserData", description: "Add user_data to the Create Server API." },
  { alias: "os-user-quotas", name: "UserQuotas", description: "Project user quota support." },
  { alias: "os-virtual-interfaces", name: "VirtualInterfaces", description: "Virtual interface support." },
  {
    alias: "os-volume-attachment-update",
    name: "VolumeAttachmentUpdate",
    description: "Support for updating a volume attachment.",
  },
  { alias: "os-volumes", name: "Volumes", description: "Volumes support." },
];
