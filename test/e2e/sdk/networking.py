"""Servers on networks through openstacksdk's cloud layer with its defaults.

Run by openstacksdk.test.ts like lifecycle.py. create_server's default auto_ip=True
gives the server a floating IP from the external network once it is ACTIVE (what
Ansible's openstack.cloud.server relies on); delete_server(delete_ips=True) releases it;
network= names the network to boot on. Prints one JSON document of what the SDK saw.
"""
import json

import openstack

conn = openstack.connect()
seen = {}
image = conn.image.find_image("cirros-0.6.2-x86_64-disk", ignore_missing=False)

server = conn.create_server("sdk-auto-ip", image=image.id, flavor="m1.tiny", wait=True, timeout=120)
seen["auto_ip"] = {
    "status": server.status,
    "public_v4": server.public_v4,
    "private_v4": server.private_v4,
    "security_groups": [g["name"] for g in server.security_groups],
}
seen["floating_ips"] = [
    {"address": f.floating_ip_address, "fixed": f.fixed_ip_address, "attached": f.port_id is not None}
    for f in conn.list_floating_ips()
]
seen["deleted"] = conn.delete_server(server.id, wait=True, delete_ips=True, timeout=120)
seen["floating_ips_after"] = [f.floating_ip_address for f in conn.list_floating_ips()]

named = conn.create_server(
    "sdk-private", image=image.id, flavor="m1.tiny", network="private", auto_ip=False, wait=True, timeout=120
)
seen["named"] = {"status": named.status, "networks": sorted(named.addresses.keys()), "public_v4": named.public_v4}
# hostvars, as Ansible's inventory reads them (these call os-security-groups of the server)
hostvars = conn.get_openstack_vars(named)
seen["hostvars_groups"] = [g["name"] for g in hostvars["security_groups"]]
conn.delete_server(named.id, wait=True, timeout=120)

print(json.dumps(seen))
