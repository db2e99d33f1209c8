"""A server's life through openstacksdk, as Ansible's and many scripts' code drives it.

Run by openstacksdk.test.ts with Debian's python3 and nimbus's clouds.yaml
(OS_CLIENT_CONFIG_FILE, OS_CLOUD). Prints one JSON document of what the SDK saw;
the test asserts on it, so a step that raises fails the test with the traceback.
"""
import json

import openstack
from openstack import exceptions

conn = openstack.connect()
seen = {}

seen["flavors"] = sorted(f.name for f in conn.compute.flavors())
image = conn.image.find_image("cirros-0.6.2-x86_64-disk", ignore_missing=False)
keypair = conn.compute.create_keypair(name="sdk-key")
seen["keypair"] = {"name": keypair.name, "type": keypair.type, "has_private_key": bool(keypair.private_key)}

# The cloud layer's create_server: what Ansible's openstack.cloud.server calls.
server = conn.create_server(
    "sdk-server",
    image=image.id,
    flavor="m1.tiny",
    key_name="sdk-key",
    meta={"role": "test"},
    wait=True,
    auto_ip=False,
    timeout=120,
)
seen["created"] = {
    "status": server.status,
    "private_v4": server.private_v4,
    "key_name": server.key_name,
    "metadata": dict(server.metadata),
    "flavor": server.flavor.original_name,
}

seen["found_by_name"] = conn.compute.find_server("sdk-server").id == server.id
seen["listed"] = [s.name for s in conn.compute.servers(name="sdk-")]

conn.compute.reboot_server(server.id, "HARD")
conn.compute.wait_for_server(conn.compute.get_server(server.id), status="ACTIVE", wait=120)
conn.compute.stop_server(server.id)
stopped = conn.compute.wait_for_server(conn.compute.get_server(server.id), status="SHUTOFF", wait=120)
seen["stopped_power_state"] = stopped.power_state
conn.compute.start_server(server.id)
conn.compute.wait_for_server(conn.compute.get_server(server.id), status="ACTIVE", wait=120)

small = conn.compute.find_flavor("m1.small", ignore_missing=False)
conn.compute.resize_server(server.id, small.id)
conn.compute.wait_for_server(conn.compute.get_server(server.id), status="VERIFY_RESIZE", wait=120)
conn.compute.confirm_server_resize(server.id)
resized = conn.compute.wait_for_server(conn.compute.get_server(server.id), status="ACTIVE", wait=120)
seen["resized_flavor"] = resized.flavor.original_name

conn.compute.set_server_metadata(server.id, color="blue")
seen["metadata"] = dict(conn.compute.get_server_metadata(server.id).metadata)

snapshot = conn.compute.create_server_image(server.id, "sdk-snapshot", wait=True, timeout=120)
seen["snapshot"] = {"status": snapshot.status, "image_type": snapshot.properties.get("image_type")}

try:
    conn.compute.get_server("00000000-0000-0000-0000-000000000000")
    seen["missing"] = "found"
except exceptions.NotFoundException as error:
    seen["missing"] = error.status_code

try:
    conn.compute.create_server(name="bad", image_id=image.id, flavor_id="no-such-flavor", networks="auto")
    seen["bad_flavor"] = "created"
except exceptions.BadRequestException as error:
    seen["bad_flavor"] = error.status_code

seen["deleted"] = conn.delete_server(server.id, wait=True, timeout=120)
seen["after_delete"] = [s.id for s in conn.compute.servers()]
conn.image.delete_image(snapshot.id)
conn.compute.delete_keypair("sdk-key")
seen["limits"] = conn.get_compute_limits().max_total_instances

print(json.dumps(seen))
