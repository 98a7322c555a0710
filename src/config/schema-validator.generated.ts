// @ts-nocheck
// GENERATED from schema/tsbake.schema.json by src/config/schema-codegen.ts — do not edit.
"use strict";
export const validateConfig = validate20;
const schema31 = {"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://github.com/tsbake/tsbake/schema/tsbake.schema.json","title":"tsbake configuration","description":"A tsbake config file (tsbake.yaml, tsbake.json or docker-bake.json). The shape follows docker-bake.json, plus tsbake's builder block, default-builder, and the target keys builder and depends-on.","type":"object","properties":{"$schema":{"type":"string","description":"URL or path of this JSON Schema, for editors. Ignored by tsbake."},"variable":{"type":"object","title":"a map of variables","description":"Variables usable as ${NAME} in every string value. An environment variable of the same name overrides the default.","propertyNames":{"pattern":"^[A-Za-z_][A-Za-z0-9_]*$","description":"letters, digits and _, not starting with a digit"},"additionalProperties":{"$ref":"#/$defs/variable"}},"builder":{"$ref":"#/$defs/builders","description":"BuildKit builders tsbake may use, by name (merged with builders.yaml beside the first config file; these entries win)."},"default-builder":{"$ref":"#/$defs/defaultBuilder","description":"Name of the builder used by targets that name none."},"group":{"type":"object","title":"a map of groups","description":"Named sets of targets (and groups). The group named default is built when no target is named.","propertyNames":{"pattern":"^[A-Za-z0-9_-]+$","description":"letters, digits, _ and -"},"additionalProperties":{"$ref":"#/$defs/group"}},"target":{"type":"object","title":"a map of targets","description":"Build targets, as in docker-bake.json.","propertyNames":{"pattern":"^[A-Za-z0-9_-]+$","description":"letters, digits, _ and -"},"additionalProperties":{"$ref":"#/$defs/target"}}},"additionalProperties":false,"$defs":{"buildersFile":{"title":"a builders.yaml file","description":"builders.yaml beside the first config file: only builder and default-builder.","type":"object","properties":{"$schema":{"type":"string","description":"URL or path of this JSON Schema, for editors. Ignored by tsbake."},"builder":{"$ref":"#/$defs/builders","description":"BuildKit builders, by name. A config file's own builder of the same name replaces one from here."},"default-builder":{"$ref":"#/$defs/defaultBuilder","description":"Name of the builder used by targets that name none, unless the config file sets its own."}},"additionalProperties":false},"builders":{"type":"object","title":"a map of builders","description":"BuildKit builders tsbake may use, by name.","propertyNames":{"pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]*$","description":"letters, digits, _, . and -, starting with a letter or digit"},"additionalProperties":{"$ref":"#/$defs/builder"}},"defaultBuilder":{"type":"string","description":"Name of the builder used by targets that name none."},"scalar":{"title":"a string, number or boolean","type":["string","number","boolean"]},"scalarOrNull":{"title":"a string, number, boolean or null","type":["string","number","boolean","null"]},"stringList":{"title":"a list of strings","type":"array","items":{"type":"string"}},"stringMap":{"title":"a map of strings","type":"object","additionalProperties":{"type":"string"}},"nullableScalarMap":{"title":"a map of strings (null keeps the Dockerfile's default)","type":"object","additionalProperties":{"type":["string","number","boolean","null"]}},"csvOrObject":{"title":"a CSV string (type=…,key=value) or a map of key: value","anyOf":[{"type":"string"},{"type":"object","additionalProperties":{"type":["string","number","boolean"]}}]},"csvOrObjectList":{"title":"a list of CSV strings (type=…,key=value) or maps","type":"array","items":{"$ref":"#/$defs/csvOrObject"}},"boolish":{"title":"true or false","enum":[true,false,"true","false"]},"positiveIntish":{"title":"a positive integer","type":["integer","string"],"minimum":1,"pattern":"^[1-9][0-9]*$"},"scalarMap":{"title":"a map of strings","type":"object","additionalProperties":{"type":["string","number","boolean"]}},"variable":{"title":"a default value or a map with default and description","anyOf":[{"type":["string","number","boolean","null"]},{"type":"object","properties":{"default":{"$ref":"#/$defs/scalarOrNull","description":"Value used when the environment variable of the same name is not set."},"description":{"type":"string","description":"What the variable is for."}},"additionalProperties":false}]},"group":{"type":"object","title":"a map with targets and description","properties":{"targets":{"$ref":"#/$defs/stringList","description":"Targets and groups built by this group."},"description":{"type":"string","description":"What the group is for."}},"additionalProperties":false},"builder":{"type":"object","title":"a builder definition (a map with driver, driver-opts, …)","properties":{"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"How tsbake reaches BuildKit: docker (the Docker engine's own BuildKit), docker-container (a BuildKit container), kubernetes (BuildKit pods), remote (a BuildKit daemon at endpoint).","enum":["docker","docker-container","kubernetes","remote"]},"driver-opts":{"type":"object","title":"a map of driver options","description":"Options of the driver; which ones are valid depends on driver."},"endpoint":{"type":"string","description":"remote: the BuildKit address (tcp://host:port or unix:///path), required. docker and docker-container: the Docker host (unix://, tcp://, ssh://, npipe://)."},"platforms":{"$ref":"#/$defs/stringList","description":"Platforms this builder can build, e.g. linux/amd64."},"buildkitd-config":{"type":"string","description":"Path of a buildkitd.toml for the daemon (docker-container, kubernetes). Relative to the config file's directory."},"buildkitd-config-inline":{"type":"string","description":"Contents of a buildkitd.toml for the daemon (docker-container, kubernetes). Not together with buildkitd-config."},"buildkitd-flags":{"type":"string","description":"Extra flags for buildkitd (docker-container, kubernetes)."},"parallelism":{"title":"a positive integer","type":"integer","minimum":1,"description":"Maximum number of concurrent solves on this builder (unlimited when absent)."},"push":{"title":"one of all, each","enum":["all","each"],"description":"When this builder's targets push: all (default) after every target of the run has built, and only if all succeeded; each as soon as the target is built, like docker buildx bake (same as --push-each)."},"description":{"type":"string","description":"What the builder is for."},"nodes":{"type":"array","title":"a list of nodes","minItems":1,"items":{"$ref":"#/$defs/builderNode"},"description":"tsbake: the BuildKit daemons of a multi-node builder, each with its own driver, endpoint, driver-opts and platforms (instead of the builder's own driver). A multi-platform target is split by platform across them and merged into one image index. tsbake YAML/JSON only."}},"additionalProperties":false,"allOf":[{"if":{"properties":{"nodes":false}},"then":{"properties":{"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"A builder without nodes needs a driver."}},"required":["driver"]}},{"if":{"properties":{"driver":{"const":"docker"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDocker"}}}},{"if":{"properties":{"driver":{"const":"docker-container"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDockerContainer"}}}},{"if":{"properties":{"driver":{"const":"kubernetes"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsKubernetes"}}}},{"if":{"properties":{"driver":{"const":"remote"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsRemote"}}}}]},"driverOptsDocker":{"type":"object","title":"no driver options (the docker driver takes none)","properties":{},"additionalProperties":false},"driverOptsDockerContainer":{"type":"object","title":"docker-container driver options","properties":{"image":{"type":"string","description":"BuildKit image to run (default moby/buildkit:buildx-stable-1)."},"network":{"type":"string","description":"Docker network mode of the BuildKit container."},"memory":{"$ref":"#/$defs/scalar","description":"Memory limit of the container, e.g. 2g."},"memory-swap":{"$ref":"#/$defs/scalar","description":"Memory plus swap limit, e.g. 4g (-1: unlimited)."},"cpu-period":{"$ref":"#/$defs/scalar","description":"CPU CFS period in microseconds."},"cpu-quota":{"$ref":"#/$defs/scalar","description":"CPU CFS quota in microseconds."},"cpu-shares":{"$ref":"#/$defs/scalar","description":"Relative CPU weight."},"cpuset-cpus":{"$ref":"#/$defs/scalar","description":"CPUs the container may use, e.g. 0-3."},"cpuset-mems":{"$ref":"#/$defs/scalar","description":"Memory nodes the container may use."},"cgroup-parent":{"type":"string","description":"Parent cgroup of the container."},"restart-policy":{"type":"string","description":"Docker restart policy (default unless-stopped)."},"env":{"$ref":"#/$defs/scalarMap","description":"Environment variables of the BuildKit container (also written env.NAME: value)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."},"privileged":{"$ref":"#/$defs/boolish","description":"tsbake: run the BuildKit container privileged (default true); false runs it unprivileged (rootless BuildKit image recommended)."}},"patternProperties":{"^env\\..+$":{"$ref":"#/$defs/scalar","description":"An environment variable of the BuildKit container."}},"additionalProperties":false},"driverOptsKubernetes":{"type":"object","title":"kubernetes driver options","properties":{"image":{"type":"string","description":"BuildKit image of the pods."},"namespace":{"type":"string","description":"Namespace of the deployment (default: the kubeconfig context's)."},"replicas":{"$ref":"#/$defs/positiveIntish","description":"Number of BuildKit pods (default 1)."},"requests":{"$ref":"#/$defs/scalarMap","description":"Resource requests: cpu, memory, ephemeral-storage (also written requests.cpu: 1)."},"limits":{"$ref":"#/$defs/scalarMap","description":"Resource limits: cpu, memory, ephemeral-storage (also written limits.memory: 2Gi)."},"nodeselector":{"type":"string","description":"Node selector, as label=value,label2=value2."},"tolerations":{"type":"string","description":"Tolerations, separated by ;."},"annotations":{"type":"string","description":"Pod annotations, as key=value,key2=value2."},"labels":{"type":"string","description":"Pod labels, as key=value,key2=value2."},"serviceaccount":{"type":"string","description":"Service account of the pods."},"schedulername":{"type":"string","description":"Scheduler of the pods."},"rootless":{"$ref":"#/$defs/boolish","description":"Run BuildKit rootless."},"loadbalance":{"enum":["sticky","random"],"title":"one of sticky, random","description":"How a pod is chosen: sticky (by context path) or random."},"qemu":{"type":"object","title":"a map with install and image","description":"QEMU emulation (also written qemu.install, qemu.image).","properties":{"install":{"$ref":"#/$defs/boolish","description":"Install QEMU emulators in the pods."},"image":{"type":"string","description":"Image with the QEMU emulators."}},"additionalProperties":false},"qemu.install":{"$ref":"#/$defs/boolish","description":"Install QEMU emulators in the pods."},"qemu.image":{"type":"string","description":"Image with the QEMU emulators."},"timeout":{"type":"string","description":"How long to wait for pods to be ready (default 120s)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."},"context":{"type":"string","description":"kubeconfig context to use (default: the current context)."},"kubeconfig":{"type":"string","description":"Path of the kubeconfig file (default: KUBECONFIG or ~/.kube/config)."},"env":{"$ref":"#/$defs/scalarMap","description":"Environment variables of the BuildKit pods (also written env.NAME: value)."}},"patternProperties":{"^env\\..+$":{"$ref":"#/$defs/scalar","description":"An environment variable of the BuildKit pods."},"^requests\\..+$":{"$ref":"#/$defs/scalar","description":"A resource request, e.g. requests.memory: 1Gi."},"^limits\\..+$":{"$ref":"#/$defs/scalar","description":"A resource limit, e.g. limits.cpu: 2."}},"additionalProperties":false},"driverOptsRemote":{"type":"object","title":"remote driver options","properties":{"cacert":{"type":"string","description":"CA certificate to verify the daemon (TLS)."},"cert":{"type":"string","description":"Client certificate (TLS)."},"key":{"type":"string","description":"Client key (TLS)."},"servername":{"type":"string","description":"Server name expected in the daemon's certificate."},"timeout":{"type":"string","description":"How long to wait for the daemon to answer when connecting, a duration like 20s (the default)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."}},"additionalProperties":false},"builderNode":{"type":"object","title":"a node definition (a map with name, driver, endpoint, driver-opts, platforms)","properties":{"name":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]*$","description":"The node's name, unique in the builder (letters, digits, '_', '.', '-')."},"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"How tsbake reaches this node's BuildKit (as a builder's driver).","enum":["docker","docker-container","kubernetes","remote"]},"driver-opts":{"type":"object","title":"a map of driver options","description":"Options of the node's driver."},"endpoint":{"type":"string","description":"remote: the BuildKit address, required. docker and docker-container: the Docker host."},"platforms":{"$ref":"#/$defs/stringList","description":"Platforms this node builds natively; when absent, those its daemon reports."}},"required":["name","driver"],"additionalProperties":false,"allOf":[{"if":{"properties":{"driver":{"const":"docker"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDocker"}}}},{"if":{"properties":{"driver":{"const":"docker-container"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDockerContainer"}}}},{"if":{"properties":{"driver":{"const":"kubernetes"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsKubernetes"}}}},{"if":{"properties":{"driver":{"const":"remote"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsRemote"}}}}]},"target":{"type":"object","title":"a target definition (a map with context, dockerfile, tags, …)","properties":{"context":{"type":"string","description":"Build context: a directory (relative to the config file's directory) or a URL. Default \".\"."},"contexts":{"$ref":"#/$defs/stringMap","description":"Named contexts: a directory, URL, docker-image://ref or target:NAME."},"dockerfile":{"type":"string","description":"Dockerfile path, relative to the context. Default Dockerfile."},"dockerfile-inline":{"type":"string","description":"Dockerfile contents; wins over dockerfile."},"args":{"$ref":"#/$defs/nullableScalarMap","description":"Build arguments; null keeps the Dockerfile's default."},"labels":{"$ref":"#/$defs/nullableScalarMap","description":"Image labels."},"tags":{"$ref":"#/$defs/stringList","description":"Image names and tags, e.g. registry/app:1.0."},"platforms":{"$ref":"#/$defs/stringList","description":"Target platforms, e.g. linux/amd64."},"target":{"type":"string","description":"Dockerfile stage to build."},"cache-from":{"$ref":"#/$defs/csvOrObjectList","description":"Cache sources, e.g. type=registry,ref=… ."},"cache-to":{"$ref":"#/$defs/csvOrObjectList","description":"Cache exports, e.g. type=inline or type=local,dest=… ."},"output":{"$ref":"#/$defs/csvOrObjectList","description":"Outputs, e.g. type=local,dest=out or type=image,push=true."},"secret":{"$ref":"#/$defs/csvOrObjectList","description":"Secrets, e.g. id=npm,src=~/.npmrc or type=env,id=TOKEN."},"ssh":{"$ref":"#/$defs/csvOrObjectList","description":"SSH agent sockets or keys, e.g. default."},"no-cache":{"type":"boolean","description":"Build without the cache."},"no-cache-filter":{"$ref":"#/$defs/stringList","description":"Stages built without the cache."},"pull":{"type":"boolean","description":"Always pull base images."},"network":{"type":"string","description":"Network mode of RUN steps: default, none or host."},"shm-size":{"type":"string","description":"Size of /dev/shm of RUN steps, e.g. 128m."},"ulimits":{"$ref":"#/$defs/stringList","description":"Ulimits of RUN steps, e.g. nofile=1024:1024."},"extra-hosts":{"$ref":"#/$defs/stringMap","description":"Extra /etc/hosts entries: host: ip."},"annotations":{"$ref":"#/$defs/stringList","description":"OCI annotations, e.g. index,manifest:org.opencontainers.image.title=app."},"attest":{"$ref":"#/$defs/csvOrObjectList","description":"Attestations, e.g. type=sbom or type=provenance,mode=max."},"entitlements":{"$ref":"#/$defs/stringList","description":"Extra privileges, e.g. network.host, security.insecure."},"call":{"type":"string","description":"Frontend method: build (default), check, outline or targets."},"description":{"type":"string","description":"What the target is for."},"inherits":{"$ref":"#/$defs/stringList","description":"Targets whose attributes this one starts from; the last wins."},"matrix":{"type":"object","title":"a map of axis: list of values","description":"Axes of values; the target is forked once per combination, and ${axis} is replaced in its strings.","propertyNames":{"pattern":"^[A-Za-z_][A-Za-z0-9_]*$","description":"letters, digits and _, not starting with a digit"},"additionalProperties":{"type":"array","title":"a list of strings, numbers or booleans","items":{"type":["string","number","boolean"]}}},"name":{"type":"string","description":"Name template of the forks of a matrix target, e.g. app-${tgt}."},"builder":{"type":"string","description":"tsbake: name of the builder for this target (default: default-builder)."},"depends-on":{"$ref":"#/$defs/stringList","description":"tsbake: targets that must finish before this one starts."}},"additionalProperties":false}}};
const schema67 = {"type":"string","description":"Name of the builder used by targets that name none."};
const pattern4 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");
const pattern16 = new RegExp("^[A-Za-z0-9_-]+$", "u");
const schema32 = {"title":"a default value or a map with default and description","anyOf":[{"type":["string","number","boolean","null"]},{"type":"object","properties":{"default":{"$ref":"#/$defs/scalarOrNull","description":"Value used when the environment variable of the same name is not set."},"description":{"type":"string","description":"What the variable is for."}},"additionalProperties":false}]};
const schema33 = {"title":"a string, number, boolean or null","type":["string","number","boolean","null"]};

function validate21(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate21.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
const _errs0 = errors;
let valid0 = false;
const _errs1 = errors;
if((((typeof data !== "string") && (!((typeof data == "number") && (isFinite(data))))) && (typeof data !== "boolean")) && (data !== null)){
const err0 = {instancePath,schemaPath:"#/anyOf/0/type",keyword:"type",params:{type: schema32.anyOf[0].type},message:"must be string,number,boolean,null",schema:schema32.anyOf[0].type,parentSchema:schema32.anyOf[0],data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
var _valid0 = _errs1 === errors;
valid0 = valid0 || _valid0;
const _errs3 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((key0 === "default") || (key0 === "description"))){
const err1 = {instancePath,schemaPath:"#/anyOf/1/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema32.anyOf[1],data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.default !== undefined){
let data0 = data.default;
if((((typeof data0 !== "string") && (!((typeof data0 == "number") && (isFinite(data0))))) && (typeof data0 !== "boolean")) && (data0 !== null)){
const err2 = {instancePath:instancePath+"/default",schemaPath:"#/$defs/scalarOrNull/type",keyword:"type",params:{type: schema33.type},message:"must be string,number,boolean,null",schema:schema33.type,parentSchema:schema33,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.description !== undefined){
let data1 = data.description;
if(typeof data1 !== "string"){
const err3 = {instancePath:instancePath+"/description",schemaPath:"#/anyOf/1/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema32.anyOf[1].properties.description.type,parentSchema:schema32.anyOf[1].properties.description,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
}
else {
const err4 = {instancePath,schemaPath:"#/anyOf/1/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema32.anyOf[1].type,parentSchema:schema32.anyOf[1],data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
var _valid0 = _errs3 === errors;
valid0 = valid0 || _valid0;
if(_valid0){
var props0 = true;
}
if(!valid0){
const err5 = {instancePath,schemaPath:"#/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema32.anyOf,parentSchema:schema32,data};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
else {
errors = _errs0;
if(vErrors !== null){
if(_errs0){
vErrors.length = _errs0;
}
else {
vErrors = null;
}
}
}
validate21.errors = vErrors;
evaluated0.props = props0;
return errors === 0;
}
validate21.evaluated = {"dynamicProps":true,"dynamicItems":false};

const schema34 = {"type":"object","title":"a map of builders","description":"BuildKit builders tsbake may use, by name.","propertyNames":{"pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]*$","description":"letters, digits, _, . and -, starting with a letter or digit"},"additionalProperties":{"$ref":"#/$defs/builder"}};
const pattern5 = new RegExp("^[A-Za-z0-9][A-Za-z0-9_.-]*$", "u");
const schema35 = {"type":"object","title":"a builder definition (a map with driver, driver-opts, …)","properties":{"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"How tsbake reaches BuildKit: docker (the Docker engine's own BuildKit), docker-container (a BuildKit container), kubernetes (BuildKit pods), remote (a BuildKit daemon at endpoint).","enum":["docker","docker-container","kubernetes","remote"]},"driver-opts":{"type":"object","title":"a map of driver options","description":"Options of the driver; which ones are valid depends on driver."},"endpoint":{"type":"string","description":"remote: the BuildKit address (tcp://host:port or unix:///path), required. docker and docker-container: the Docker host (unix://, tcp://, ssh://, npipe://)."},"platforms":{"$ref":"#/$defs/stringList","description":"Platforms this builder can build, e.g. linux/amd64."},"buildkitd-config":{"type":"string","description":"Path of a buildkitd.toml for the daemon (docker-container, kubernetes). Relative to the config file's directory."},"buildkitd-config-inline":{"type":"string","description":"Contents of a buildkitd.toml for the daemon (docker-container, kubernetes). Not together with buildkitd-config."},"buildkitd-flags":{"type":"string","description":"Extra flags for buildkitd (docker-container, kubernetes)."},"parallelism":{"title":"a positive integer","type":"integer","minimum":1,"description":"Maximum number of concurrent solves on this builder (unlimited when absent)."},"push":{"title":"one of all, each","enum":["all","each"],"description":"When this builder's targets push: all (default) after every target of the run has built, and only if all succeeded; each as soon as the target is built, like docker buildx bake (same as --push-each)."},"description":{"type":"string","description":"What the builder is for."},"nodes":{"type":"array","title":"a list of nodes","minItems":1,"items":{"$ref":"#/$defs/builderNode"},"description":"tsbake: the BuildKit daemons of a multi-node builder, each with its own driver, endpoint, driver-opts and platforms (instead of the builder's own driver). A multi-platform target is split by platform across them and merged into one image index. tsbake YAML/JSON only."}},"additionalProperties":false,"allOf":[{"if":{"properties":{"nodes":false}},"then":{"properties":{"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"A builder without nodes needs a driver."}},"required":["driver"]}},{"if":{"properties":{"driver":{"const":"docker"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDocker"}}}},{"if":{"properties":{"driver":{"const":"docker-container"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDockerContainer"}}}},{"if":{"properties":{"driver":{"const":"kubernetes"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsKubernetes"}}}},{"if":{"properties":{"driver":{"const":"remote"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsRemote"}}}}]};
const schema36 = {"type":"object","title":"no driver options (the docker driver takes none)","properties":{},"additionalProperties":false};
const schema63 = {"title":"a list of strings","type":"array","items":{"type":"string"}};
const schema37 = {"type":"object","title":"docker-container driver options","properties":{"image":{"type":"string","description":"BuildKit image to run (default moby/buildkit:buildx-stable-1)."},"network":{"type":"string","description":"Docker network mode of the BuildKit container."},"memory":{"$ref":"#/$defs/scalar","description":"Memory limit of the container, e.g. 2g."},"memory-swap":{"$ref":"#/$defs/scalar","description":"Memory plus swap limit, e.g. 4g (-1: unlimited)."},"cpu-period":{"$ref":"#/$defs/scalar","description":"CPU CFS period in microseconds."},"cpu-quota":{"$ref":"#/$defs/scalar","description":"CPU CFS quota in microseconds."},"cpu-shares":{"$ref":"#/$defs/scalar","description":"Relative CPU weight."},"cpuset-cpus":{"$ref":"#/$defs/scalar","description":"CPUs the container may use, e.g. 0-3."},"cpuset-mems":{"$ref":"#/$defs/scalar","description":"Memory nodes the container may use."},"cgroup-parent":{"type":"string","description":"Parent cgroup of the container."},"restart-policy":{"type":"string","description":"Docker restart policy (default unless-stopped)."},"env":{"$ref":"#/$defs/scalarMap","description":"Environment variables of the BuildKit container (also written env.NAME: value)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."},"privileged":{"$ref":"#/$defs/boolish","description":"tsbake: run the BuildKit container privileged (default true); false runs it unprivileged (rootless BuildKit image recommended)."}},"patternProperties":{"^env\\..+$":{"$ref":"#/$defs/scalar","description":"An environment variable of the BuildKit container."}},"additionalProperties":false};
const schema38 = {"title":"a string, number or boolean","type":["string","number","boolean"]};
const schema45 = {"title":"a map of strings","type":"object","additionalProperties":{"type":["string","number","boolean"]}};
const schema46 = {"title":"true or false","enum":[true,false,"true","false"]};
const func1 = Object.prototype.hasOwnProperty;
const pattern6 = new RegExp("^env\\..+$", "u");

function validate25(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate25.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((func1.call(schema37.properties, key0)) || (pattern6.test(key0)))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema37,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.image !== undefined){
let data0 = data.image;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/image",schemaPath:"#/properties/image/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema37.properties.image.type,parentSchema:schema37.properties.image,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.network !== undefined){
let data1 = data.network;
if(typeof data1 !== "string"){
const err2 = {instancePath:instancePath+"/network",schemaPath:"#/properties/network/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema37.properties.network.type,parentSchema:schema37.properties.network,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.memory !== undefined){
let data2 = data.memory;
if(((typeof data2 !== "string") && (!((typeof data2 == "number") && (isFinite(data2))))) && (typeof data2 !== "boolean")){
const err3 = {instancePath:instancePath+"/memory",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data["memory-swap"] !== undefined){
let data3 = data["memory-swap"];
if(((typeof data3 !== "string") && (!((typeof data3 == "number") && (isFinite(data3))))) && (typeof data3 !== "boolean")){
const err4 = {instancePath:instancePath+"/memory-swap",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data3};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data["cpu-period"] !== undefined){
let data4 = data["cpu-period"];
if(((typeof data4 !== "string") && (!((typeof data4 == "number") && (isFinite(data4))))) && (typeof data4 !== "boolean")){
const err5 = {instancePath:instancePath+"/cpu-period",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data4};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data["cpu-quota"] !== undefined){
let data5 = data["cpu-quota"];
if(((typeof data5 !== "string") && (!((typeof data5 == "number") && (isFinite(data5))))) && (typeof data5 !== "boolean")){
const err6 = {instancePath:instancePath+"/cpu-quota",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data5};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data["cpu-shares"] !== undefined){
let data6 = data["cpu-shares"];
if(((typeof data6 !== "string") && (!((typeof data6 == "number") && (isFinite(data6))))) && (typeof data6 !== "boolean")){
const err7 = {instancePath:instancePath+"/cpu-shares",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data6};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data["cpuset-cpus"] !== undefined){
let data7 = data["cpuset-cpus"];
if(((typeof data7 !== "string") && (!((typeof data7 == "number") && (isFinite(data7))))) && (typeof data7 !== "boolean")){
const err8 = {instancePath:instancePath+"/cpuset-cpus",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data7};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data["cpuset-mems"] !== undefined){
let data8 = data["cpuset-mems"];
if(((typeof data8 !== "string") && (!((typeof data8 == "number") && (isFinite(data8))))) && (typeof data8 !== "boolean")){
const err9 = {instancePath:instancePath+"/cpuset-mems",schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data8};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data["cgroup-parent"] !== undefined){
let data9 = data["cgroup-parent"];
if(typeof data9 !== "string"){
const err10 = {instancePath:instancePath+"/cgroup-parent",schemaPath:"#/properties/cgroup-parent/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema37.properties["cgroup-parent"].type,parentSchema:schema37.properties["cgroup-parent"],data:data9};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data["restart-policy"] !== undefined){
let data10 = data["restart-policy"];
if(typeof data10 !== "string"){
const err11 = {instancePath:instancePath+"/restart-policy",schemaPath:"#/properties/restart-policy/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema37.properties["restart-policy"].type,parentSchema:schema37.properties["restart-policy"],data:data10};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.env !== undefined){
let data11 = data.env;
if(data11 && typeof data11 == "object" && !Array.isArray(data11)){
for(const key1 in data11){
let data12 = data11[key1];
if(((typeof data12 !== "string") && (!((typeof data12 == "number") && (isFinite(data12))))) && (typeof data12 !== "boolean")){
const err12 = {instancePath:instancePath+"/env/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalarMap/additionalProperties/type",keyword:"type",params:{type: schema45.additionalProperties.type},message:"must be string,number,boolean",schema:schema45.additionalProperties.type,parentSchema:schema45.additionalProperties,data:data12};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
else {
const err13 = {instancePath:instancePath+"/env",schemaPath:"#/$defs/scalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema45.type,parentSchema:schema45,data:data11};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data["default-load"] !== undefined){
let data13 = data["default-load"];
if(!((((data13 === true) || (data13 === false)) || (data13 === "true")) || (data13 === "false"))){
const err14 = {instancePath:instancePath+"/default-load",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data13};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.privileged !== undefined){
let data14 = data.privileged;
if(!((((data14 === true) || (data14 === false)) || (data14 === "true")) || (data14 === "false"))){
const err15 = {instancePath:instancePath+"/privileged",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data14};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
for(const key2 in data){
if(pattern6.test(key2)){
let data15 = data[key2];
if(((typeof data15 !== "string") && (!((typeof data15 == "number") && (isFinite(data15))))) && (typeof data15 !== "boolean")){
const err16 = {instancePath:instancePath+"/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data15};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
}
else {
const err17 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema37.type,parentSchema:schema37,data};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
validate25.errors = vErrors;
return errors === 0;
}
validate25.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

const schema49 = {"type":"object","title":"kubernetes driver options","properties":{"image":{"type":"string","description":"BuildKit image of the pods."},"namespace":{"type":"string","description":"Namespace of the deployment (default: the kubeconfig context's)."},"replicas":{"$ref":"#/$defs/positiveIntish","description":"Number of BuildKit pods (default 1)."},"requests":{"$ref":"#/$defs/scalarMap","description":"Resource requests: cpu, memory, ephemeral-storage (also written requests.cpu: 1)."},"limits":{"$ref":"#/$defs/scalarMap","description":"Resource limits: cpu, memory, ephemeral-storage (also written limits.memory: 2Gi)."},"nodeselector":{"type":"string","description":"Node selector, as label=value,label2=value2."},"tolerations":{"type":"string","description":"Tolerations, separated by ;."},"annotations":{"type":"string","description":"Pod annotations, as key=value,key2=value2."},"labels":{"type":"string","description":"Pod labels, as key=value,key2=value2."},"serviceaccount":{"type":"string","description":"Service account of the pods."},"schedulername":{"type":"string","description":"Scheduler of the pods."},"rootless":{"$ref":"#/$defs/boolish","description":"Run BuildKit rootless."},"loadbalance":{"enum":["sticky","random"],"title":"one of sticky, random","description":"How a pod is chosen: sticky (by context path) or random."},"qemu":{"type":"object","title":"a map with install and image","description":"QEMU emulation (also written qemu.install, qemu.image).","properties":{"install":{"$ref":"#/$defs/boolish","description":"Install QEMU emulators in the pods."},"image":{"type":"string","description":"Image with the QEMU emulators."}},"additionalProperties":false},"qemu.install":{"$ref":"#/$defs/boolish","description":"Install QEMU emulators in the pods."},"qemu.image":{"type":"string","description":"Image with the QEMU emulators."},"timeout":{"type":"string","description":"How long to wait for pods to be ready (default 120s)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."},"context":{"type":"string","description":"kubeconfig context to use (default: the current context)."},"kubeconfig":{"type":"string","description":"Path of the kubeconfig file (default: KUBECONFIG or ~/.kube/config)."},"env":{"$ref":"#/$defs/scalarMap","description":"Environment variables of the BuildKit pods (also written env.NAME: value)."}},"patternProperties":{"^env\\..+$":{"$ref":"#/$defs/scalar","description":"An environment variable of the BuildKit pods."},"^requests\\..+$":{"$ref":"#/$defs/scalar","description":"A resource request, e.g. requests.memory: 1Gi."},"^limits\\..+$":{"$ref":"#/$defs/scalar","description":"A resource limit, e.g. limits.cpu: 2."}},"additionalProperties":false};
const schema50 = {"title":"a positive integer","type":["integer","string"],"minimum":1,"pattern":"^[1-9][0-9]*$"};
const pattern9 = new RegExp("^requests\\..+$", "u");
const pattern10 = new RegExp("^limits\\..+$", "u");
const pattern11 = new RegExp("^[1-9][0-9]*$", "u");

function validate27(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate27.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((((func1.call(schema49.properties, key0)) || (pattern6.test(key0))) || (pattern9.test(key0))) || (pattern10.test(key0)))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema49,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.image !== undefined){
let data0 = data.image;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/image",schemaPath:"#/properties/image/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.image.type,parentSchema:schema49.properties.image,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.namespace !== undefined){
let data1 = data.namespace;
if(typeof data1 !== "string"){
const err2 = {instancePath:instancePath+"/namespace",schemaPath:"#/properties/namespace/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.namespace.type,parentSchema:schema49.properties.namespace,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.replicas !== undefined){
let data2 = data.replicas;
if((!(((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2))) && (isFinite(data2)))) && (typeof data2 !== "string")){
const err3 = {instancePath:instancePath+"/replicas",schemaPath:"#/$defs/positiveIntish/type",keyword:"type",params:{type: schema50.type},message:"must be integer,string",schema:schema50.type,parentSchema:schema50,data:data2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if((typeof data2 == "number") && (isFinite(data2))){
if(data2 < 1 || isNaN(data2)){
const err4 = {instancePath:instancePath+"/replicas",schemaPath:"#/$defs/positiveIntish/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema50,data:data2};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(typeof data2 === "string"){
if(!pattern11.test(data2)){
const err5 = {instancePath:instancePath+"/replicas",schemaPath:"#/$defs/positiveIntish/pattern",keyword:"pattern",params:{pattern: "^[1-9][0-9]*$"},message:"must match pattern \""+"^[1-9][0-9]*$"+"\"",schema:"^[1-9][0-9]*$",parentSchema:schema50,data:data2};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
}
if(data.requests !== undefined){
let data3 = data.requests;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
for(const key1 in data3){
let data4 = data3[key1];
if(((typeof data4 !== "string") && (!((typeof data4 == "number") && (isFinite(data4))))) && (typeof data4 !== "boolean")){
const err6 = {instancePath:instancePath+"/requests/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalarMap/additionalProperties/type",keyword:"type",params:{type: schema45.additionalProperties.type},message:"must be string,number,boolean",schema:schema45.additionalProperties.type,parentSchema:schema45.additionalProperties,data:data4};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath:instancePath+"/requests",schemaPath:"#/$defs/scalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema45.type,parentSchema:schema45,data:data3};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.limits !== undefined){
let data5 = data.limits;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
for(const key2 in data5){
let data6 = data5[key2];
if(((typeof data6 !== "string") && (!((typeof data6 == "number") && (isFinite(data6))))) && (typeof data6 !== "boolean")){
const err8 = {instancePath:instancePath+"/limits/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalarMap/additionalProperties/type",keyword:"type",params:{type: schema45.additionalProperties.type},message:"must be string,number,boolean",schema:schema45.additionalProperties.type,parentSchema:schema45.additionalProperties,data:data6};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/limits",schemaPath:"#/$defs/scalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema45.type,parentSchema:schema45,data:data5};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.nodeselector !== undefined){
let data7 = data.nodeselector;
if(typeof data7 !== "string"){
const err10 = {instancePath:instancePath+"/nodeselector",schemaPath:"#/properties/nodeselector/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.nodeselector.type,parentSchema:schema49.properties.nodeselector,data:data7};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.tolerations !== undefined){
let data8 = data.tolerations;
if(typeof data8 !== "string"){
const err11 = {instancePath:instancePath+"/tolerations",schemaPath:"#/properties/tolerations/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.tolerations.type,parentSchema:schema49.properties.tolerations,data:data8};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.annotations !== undefined){
let data9 = data.annotations;
if(typeof data9 !== "string"){
const err12 = {instancePath:instancePath+"/annotations",schemaPath:"#/properties/annotations/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.annotations.type,parentSchema:schema49.properties.annotations,data:data9};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.labels !== undefined){
let data10 = data.labels;
if(typeof data10 !== "string"){
const err13 = {instancePath:instancePath+"/labels",schemaPath:"#/properties/labels/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.labels.type,parentSchema:schema49.properties.labels,data:data10};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.serviceaccount !== undefined){
let data11 = data.serviceaccount;
if(typeof data11 !== "string"){
const err14 = {instancePath:instancePath+"/serviceaccount",schemaPath:"#/properties/serviceaccount/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.serviceaccount.type,parentSchema:schema49.properties.serviceaccount,data:data11};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.schedulername !== undefined){
let data12 = data.schedulername;
if(typeof data12 !== "string"){
const err15 = {instancePath:instancePath+"/schedulername",schemaPath:"#/properties/schedulername/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.schedulername.type,parentSchema:schema49.properties.schedulername,data:data12};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data.rootless !== undefined){
let data13 = data.rootless;
if(!((((data13 === true) || (data13 === false)) || (data13 === "true")) || (data13 === "false"))){
const err16 = {instancePath:instancePath+"/rootless",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data13};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data.loadbalance !== undefined){
let data14 = data.loadbalance;
if(!((data14 === "sticky") || (data14 === "random"))){
const err17 = {instancePath:instancePath+"/loadbalance",schemaPath:"#/properties/loadbalance/enum",keyword:"enum",params:{allowedValues: schema49.properties.loadbalance.enum},message:"must be equal to one of the allowed values",schema:schema49.properties.loadbalance.enum,parentSchema:schema49.properties.loadbalance,data:data14};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.qemu !== undefined){
let data15 = data.qemu;
if(data15 && typeof data15 == "object" && !Array.isArray(data15)){
for(const key3 in data15){
if(!((key3 === "install") || (key3 === "image"))){
const err18 = {instancePath:instancePath+"/qemu",schemaPath:"#/properties/qemu/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties",schema:false,parentSchema:schema49.properties.qemu,data:data15};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data15.install !== undefined){
let data16 = data15.install;
if(!((((data16 === true) || (data16 === false)) || (data16 === "true")) || (data16 === "false"))){
const err19 = {instancePath:instancePath+"/qemu/install",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data16};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data15.image !== undefined){
let data17 = data15.image;
if(typeof data17 !== "string"){
const err20 = {instancePath:instancePath+"/qemu/image",schemaPath:"#/properties/qemu/properties/image/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.qemu.properties.image.type,parentSchema:schema49.properties.qemu.properties.image,data:data17};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
}
else {
const err21 = {instancePath:instancePath+"/qemu",schemaPath:"#/properties/qemu/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema49.properties.qemu.type,parentSchema:schema49.properties.qemu,data:data15};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data["qemu.install"] !== undefined){
let data18 = data["qemu.install"];
if(!((((data18 === true) || (data18 === false)) || (data18 === "true")) || (data18 === "false"))){
const err22 = {instancePath:instancePath+"/qemu.install",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data18};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data["qemu.image"] !== undefined){
let data19 = data["qemu.image"];
if(typeof data19 !== "string"){
const err23 = {instancePath:instancePath+"/qemu.image",schemaPath:"#/properties/qemu.image/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties["qemu.image"].type,parentSchema:schema49.properties["qemu.image"],data:data19};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data.timeout !== undefined){
let data20 = data.timeout;
if(typeof data20 !== "string"){
const err24 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.timeout.type,parentSchema:schema49.properties.timeout,data:data20};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data["default-load"] !== undefined){
let data21 = data["default-load"];
if(!((((data21 === true) || (data21 === false)) || (data21 === "true")) || (data21 === "false"))){
const err25 = {instancePath:instancePath+"/default-load",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data21};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data.context !== undefined){
let data22 = data.context;
if(typeof data22 !== "string"){
const err26 = {instancePath:instancePath+"/context",schemaPath:"#/properties/context/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.context.type,parentSchema:schema49.properties.context,data:data22};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data.kubeconfig !== undefined){
let data23 = data.kubeconfig;
if(typeof data23 !== "string"){
const err27 = {instancePath:instancePath+"/kubeconfig",schemaPath:"#/properties/kubeconfig/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema49.properties.kubeconfig.type,parentSchema:schema49.properties.kubeconfig,data:data23};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data.env !== undefined){
let data24 = data.env;
if(data24 && typeof data24 == "object" && !Array.isArray(data24)){
for(const key4 in data24){
let data25 = data24[key4];
if(((typeof data25 !== "string") && (!((typeof data25 == "number") && (isFinite(data25))))) && (typeof data25 !== "boolean")){
const err28 = {instancePath:instancePath+"/env/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalarMap/additionalProperties/type",keyword:"type",params:{type: schema45.additionalProperties.type},message:"must be string,number,boolean",schema:schema45.additionalProperties.type,parentSchema:schema45.additionalProperties,data:data25};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
}
else {
const err29 = {instancePath:instancePath+"/env",schemaPath:"#/$defs/scalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema45.type,parentSchema:schema45,data:data24};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
for(const key5 in data){
if(pattern6.test(key5)){
let data26 = data[key5];
if(((typeof data26 !== "string") && (!((typeof data26 == "number") && (isFinite(data26))))) && (typeof data26 !== "boolean")){
const err30 = {instancePath:instancePath+"/" + key5.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data26};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
for(const key6 in data){
if(pattern9.test(key6)){
let data27 = data[key6];
if(((typeof data27 !== "string") && (!((typeof data27 == "number") && (isFinite(data27))))) && (typeof data27 !== "boolean")){
const err31 = {instancePath:instancePath+"/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data27};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
for(const key7 in data){
if(pattern10.test(key7)){
let data28 = data[key7];
if(((typeof data28 !== "string") && (!((typeof data28 == "number") && (isFinite(data28))))) && (typeof data28 !== "boolean")){
const err32 = {instancePath:instancePath+"/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/scalar/type",keyword:"type",params:{type: schema38.type},message:"must be string,number,boolean",schema:schema38.type,parentSchema:schema38,data:data28};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
}
}
else {
const err33 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema49.type,parentSchema:schema49,data};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
validate27.errors = vErrors;
return errors === 0;
}
validate27.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

const schema61 = {"type":"object","title":"remote driver options","properties":{"cacert":{"type":"string","description":"CA certificate to verify the daemon (TLS)."},"cert":{"type":"string","description":"Client certificate (TLS)."},"key":{"type":"string","description":"Client key (TLS)."},"servername":{"type":"string","description":"Server name expected in the daemon's certificate."},"timeout":{"type":"string","description":"How long to wait for the daemon to answer when connecting, a duration like 20s (the default)."},"default-load":{"$ref":"#/$defs/boolish","description":"Load the result into Docker when a target has no output."}},"additionalProperties":false};

function validate29(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate29.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((((((key0 === "cacert") || (key0 === "cert")) || (key0 === "key")) || (key0 === "servername")) || (key0 === "timeout")) || (key0 === "default-load"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema61,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.cacert !== undefined){
let data0 = data.cacert;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/cacert",schemaPath:"#/properties/cacert/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema61.properties.cacert.type,parentSchema:schema61.properties.cacert,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.cert !== undefined){
let data1 = data.cert;
if(typeof data1 !== "string"){
const err2 = {instancePath:instancePath+"/cert",schemaPath:"#/properties/cert/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema61.properties.cert.type,parentSchema:schema61.properties.cert,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.key !== undefined){
let data2 = data.key;
if(typeof data2 !== "string"){
const err3 = {instancePath:instancePath+"/key",schemaPath:"#/properties/key/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema61.properties.key.type,parentSchema:schema61.properties.key,data:data2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.servername !== undefined){
let data3 = data.servername;
if(typeof data3 !== "string"){
const err4 = {instancePath:instancePath+"/servername",schemaPath:"#/properties/servername/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema61.properties.servername.type,parentSchema:schema61.properties.servername,data:data3};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.timeout !== undefined){
let data4 = data.timeout;
if(typeof data4 !== "string"){
const err5 = {instancePath:instancePath+"/timeout",schemaPath:"#/properties/timeout/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema61.properties.timeout.type,parentSchema:schema61.properties.timeout,data:data4};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data["default-load"] !== undefined){
let data5 = data["default-load"];
if(!((((data5 === true) || (data5 === false)) || (data5 === "true")) || (data5 === "false"))){
const err6 = {instancePath:instancePath+"/default-load",schemaPath:"#/$defs/boolish/enum",keyword:"enum",params:{allowedValues: schema46.enum},message:"must be equal to one of the allowed values",schema:schema46.enum,parentSchema:schema46,data:data5};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema61.type,parentSchema:schema61,data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
validate29.errors = vErrors;
return errors === 0;
}
validate29.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

const schema64 = {"type":"object","title":"a node definition (a map with name, driver, endpoint, driver-opts, platforms)","properties":{"name":{"type":"string","pattern":"^[A-Za-z0-9][A-Za-z0-9_.-]*$","description":"The node's name, unique in the builder (letters, digits, '_', '.', '-')."},"driver":{"title":"one of docker, docker-container, kubernetes, remote","description":"How tsbake reaches this node's BuildKit (as a builder's driver).","enum":["docker","docker-container","kubernetes","remote"]},"driver-opts":{"type":"object","title":"a map of driver options","description":"Options of the node's driver."},"endpoint":{"type":"string","description":"remote: the BuildKit address, required. docker and docker-container: the Docker host."},"platforms":{"$ref":"#/$defs/stringList","description":"Platforms this node builds natively; when absent, those its daemon reports."}},"required":["name","driver"],"additionalProperties":false,"allOf":[{"if":{"properties":{"driver":{"const":"docker"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDocker"}}}},{"if":{"properties":{"driver":{"const":"docker-container"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsDockerContainer"}}}},{"if":{"properties":{"driver":{"const":"kubernetes"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsKubernetes"}}}},{"if":{"properties":{"driver":{"const":"remote"}},"required":["driver"]},"then":{"properties":{"driver-opts":{"$ref":"#/$defs/driverOptsRemote"}}}}]};

function validate31(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate31.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
const _errs2 = errors;
let valid1 = true;
const _errs3 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.driver === undefined) && (missing0 = "driver")){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
else {
if(data.driver !== undefined){
if("docker" !== data.driver){
const err1 = {};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
}
var _valid0 = _errs3 === errors;
errors = _errs2;
if(vErrors !== null){
if(_errs2){
vErrors.length = _errs2;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs5 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
let data1 = data["driver-opts"];
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key0 in data1){
const err2 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/$defs/driverOptsDocker/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema36,data:data1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
else {
const err3 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/$defs/driverOptsDocker/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema36.type,parentSchema:schema36,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
}
var _valid0 = _errs5 === errors;
valid1 = _valid0;
if(valid1){
var props0 = {};
props0["driver-opts"] = true;
props0.driver = true;
}
}
if(!valid1){
const err4 = {instancePath,schemaPath:"#/allOf/0/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema64.allOf[0].if,parentSchema:schema64.allOf[0],data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
const _errs11 = errors;
let valid5 = true;
const _errs12 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing1;
if((data.driver === undefined) && (missing1 = "driver")){
const err5 = {};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
else {
if(data.driver !== undefined){
if("docker-container" !== data.driver){
const err6 = {};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
}
var _valid1 = _errs12 === errors;
errors = _errs11;
if(vErrors !== null){
if(_errs11){
vErrors.length = _errs11;
}
else {
vErrors = null;
}
}
if(_valid1){
const _errs14 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate25(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate25.errors : vErrors.concat(validate25.errors);
errors = vErrors.length;
}
}
}
var _valid1 = _errs14 === errors;
valid5 = _valid1;
if(valid5){
var props1 = {};
props1["driver-opts"] = true;
props1.driver = true;
}
}
if(!valid5){
const err7 = {instancePath,schemaPath:"#/allOf/1/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema64.allOf[1].if,parentSchema:schema64.allOf[1],data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(props0 !== true && props1 !== undefined){
if(props1 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props1);
}
}
const _errs17 = errors;
let valid8 = true;
const _errs18 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing2;
if((data.driver === undefined) && (missing2 = "driver")){
const err8 = {};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
else {
if(data.driver !== undefined){
if("kubernetes" !== data.driver){
const err9 = {};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
}
var _valid2 = _errs18 === errors;
errors = _errs17;
if(vErrors !== null){
if(_errs17){
vErrors.length = _errs17;
}
else {
vErrors = null;
}
}
if(_valid2){
const _errs20 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate27(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate27.errors : vErrors.concat(validate27.errors);
errors = vErrors.length;
}
}
}
var _valid2 = _errs20 === errors;
valid8 = _valid2;
if(valid8){
var props2 = {};
props2["driver-opts"] = true;
props2.driver = true;
}
}
if(!valid8){
const err10 = {instancePath,schemaPath:"#/allOf/2/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema64.allOf[2].if,parentSchema:schema64.allOf[2],data};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if(props0 !== true && props2 !== undefined){
if(props2 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props2);
}
}
const _errs23 = errors;
let valid11 = true;
const _errs24 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing3;
if((data.driver === undefined) && (missing3 = "driver")){
const err11 = {};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
else {
if(data.driver !== undefined){
if("remote" !== data.driver){
const err12 = {};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
}
var _valid3 = _errs24 === errors;
errors = _errs23;
if(vErrors !== null){
if(_errs23){
vErrors.length = _errs23;
}
else {
vErrors = null;
}
}
if(_valid3){
const _errs26 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate29(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate29.errors : vErrors.concat(validate29.errors);
errors = vErrors.length;
}
}
}
var _valid3 = _errs26 === errors;
valid11 = _valid3;
if(valid11){
var props3 = {};
props3["driver-opts"] = true;
props3.driver = true;
}
}
if(!valid11){
const err13 = {instancePath,schemaPath:"#/allOf/3/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema64.allOf[3].if,parentSchema:schema64.allOf[3],data};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(props0 !== true && props3 !== undefined){
if(props3 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props3);
}
}
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.name === undefined){
const err14 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "name"},message:"must have required property '"+"name"+"'",schema:schema64.required,parentSchema:schema64,data};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if(data.driver === undefined){
const err15 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "driver"},message:"must have required property '"+"driver"+"'",schema:schema64.required,parentSchema:schema64,data};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
for(const key1 in data){
if(!(((((key1 === "name") || (key1 === "driver")) || (key1 === "driver-opts")) || (key1 === "endpoint")) || (key1 === "platforms"))){
const err16 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema64,data};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data.name !== undefined){
let data8 = data.name;
if(typeof data8 === "string"){
if(!pattern5.test(data8)){
const err17 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_.-]*$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_.-]*$",parentSchema:schema64.properties.name,data:data8};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema64.properties.name.type,parentSchema:schema64.properties.name,data:data8};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.driver !== undefined){
let data9 = data.driver;
if(!((((data9 === "docker") || (data9 === "docker-container")) || (data9 === "kubernetes")) || (data9 === "remote"))){
const err19 = {instancePath:instancePath+"/driver",schemaPath:"#/properties/driver/enum",keyword:"enum",params:{allowedValues: schema64.properties.driver.enum},message:"must be equal to one of the allowed values",schema:schema64.properties.driver.enum,parentSchema:schema64.properties.driver,data:data9};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data["driver-opts"] !== undefined){
let data10 = data["driver-opts"];
if(!(data10 && typeof data10 == "object" && !Array.isArray(data10))){
const err20 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/properties/driver-opts/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema64.properties["driver-opts"].type,parentSchema:schema64.properties["driver-opts"],data:data10};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.endpoint !== undefined){
let data11 = data.endpoint;
if(typeof data11 !== "string"){
const err21 = {instancePath:instancePath+"/endpoint",schemaPath:"#/properties/endpoint/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema64.properties.endpoint.type,parentSchema:schema64.properties.endpoint,data:data11};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data.platforms !== undefined){
let data12 = data.platforms;
if(Array.isArray(data12)){
const len0 = data12.length;
for(let i0=0; i0<len0; i0++){
let data13 = data12[i0];
if(typeof data13 !== "string"){
const err22 = {instancePath:instancePath+"/platforms/" + i0,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data13};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
else {
const err23 = {instancePath:instancePath+"/platforms",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data12};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema64.type,parentSchema:schema64,data};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
validate31.errors = vErrors;
return errors === 0;
}
validate31.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};


function validate24(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate24.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
const _errs2 = errors;
let valid1 = true;
const _errs3 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.nodes !== undefined){
const err0 = {};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
var _valid0 = _errs3 === errors;
errors = _errs2;
if(vErrors !== null){
if(_errs2){
vErrors.length = _errs2;
}
else {
vErrors = null;
}
}
if(_valid0){
const _errs4 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.driver === undefined){
const err1 = {instancePath,schemaPath:"#/allOf/0/then/required",keyword:"required",params:{missingProperty: "driver"},message:"must have required property '"+"driver"+"'",schema:schema35.allOf[0].then.required,parentSchema:schema35.allOf[0].then,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
var _valid0 = _errs4 === errors;
valid1 = _valid0;
if(valid1){
var props0 = {};
props0.driver = true;
props0.nodes = true;
}
}
if(!valid1){
const err2 = {instancePath,schemaPath:"#/allOf/0/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema35.allOf[0].if,parentSchema:schema35.allOf[0],data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
const _errs6 = errors;
let valid3 = true;
const _errs7 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing0;
if((data.driver === undefined) && (missing0 = "driver")){
const err3 = {};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
else {
if(data.driver !== undefined){
if("docker" !== data.driver){
const err4 = {};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
}
}
var _valid1 = _errs7 === errors;
errors = _errs6;
if(vErrors !== null){
if(_errs6){
vErrors.length = _errs6;
}
else {
vErrors = null;
}
}
if(_valid1){
const _errs9 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
let data2 = data["driver-opts"];
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
for(const key0 in data2){
const err5 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/$defs/driverOptsDocker/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema36,data:data2};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/$defs/driverOptsDocker/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema36.type,parentSchema:schema36,data:data2};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
var _valid1 = _errs9 === errors;
valid3 = _valid1;
if(valid3){
var props1 = {};
props1["driver-opts"] = true;
props1.driver = true;
}
}
if(!valid3){
const err7 = {instancePath,schemaPath:"#/allOf/1/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema35.allOf[1].if,parentSchema:schema35.allOf[1],data};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(props0 !== true && props1 !== undefined){
if(props1 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props1);
}
}
const _errs15 = errors;
let valid7 = true;
const _errs16 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing1;
if((data.driver === undefined) && (missing1 = "driver")){
const err8 = {};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
else {
if(data.driver !== undefined){
if("docker-container" !== data.driver){
const err9 = {};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
}
var _valid2 = _errs16 === errors;
errors = _errs15;
if(vErrors !== null){
if(_errs15){
vErrors.length = _errs15;
}
else {
vErrors = null;
}
}
if(_valid2){
const _errs18 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate25(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate25.errors : vErrors.concat(validate25.errors);
errors = vErrors.length;
}
}
}
var _valid2 = _errs18 === errors;
valid7 = _valid2;
if(valid7){
var props2 = {};
props2["driver-opts"] = true;
props2.driver = true;
}
}
if(!valid7){
const err10 = {instancePath,schemaPath:"#/allOf/2/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema35.allOf[2].if,parentSchema:schema35.allOf[2],data};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if(props0 !== true && props2 !== undefined){
if(props2 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props2);
}
}
const _errs21 = errors;
let valid10 = true;
const _errs22 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing2;
if((data.driver === undefined) && (missing2 = "driver")){
const err11 = {};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
else {
if(data.driver !== undefined){
if("kubernetes" !== data.driver){
const err12 = {};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
}
var _valid3 = _errs22 === errors;
errors = _errs21;
if(vErrors !== null){
if(_errs21){
vErrors.length = _errs21;
}
else {
vErrors = null;
}
}
if(_valid3){
const _errs24 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate27(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate27.errors : vErrors.concat(validate27.errors);
errors = vErrors.length;
}
}
}
var _valid3 = _errs24 === errors;
valid10 = _valid3;
if(valid10){
var props3 = {};
props3["driver-opts"] = true;
props3.driver = true;
}
}
if(!valid10){
const err13 = {instancePath,schemaPath:"#/allOf/3/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema35.allOf[3].if,parentSchema:schema35.allOf[3],data};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if(props0 !== true && props3 !== undefined){
if(props3 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props3);
}
}
const _errs27 = errors;
let valid13 = true;
const _errs28 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
let missing3;
if((data.driver === undefined) && (missing3 = "driver")){
const err14 = {};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
else {
if(data.driver !== undefined){
if("remote" !== data.driver){
const err15 = {};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
}
}
var _valid4 = _errs28 === errors;
errors = _errs27;
if(vErrors !== null){
if(_errs27){
vErrors.length = _errs27;
}
else {
vErrors = null;
}
}
if(_valid4){
const _errs30 = errors;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data["driver-opts"] !== undefined){
if(!(validate29(data["driver-opts"], {instancePath:instancePath+"/driver-opts",parentData:data,parentDataProperty:"driver-opts",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate29.errors : vErrors.concat(validate29.errors);
errors = vErrors.length;
}
}
}
var _valid4 = _errs30 === errors;
valid13 = _valid4;
if(valid13){
var props4 = {};
props4["driver-opts"] = true;
props4.driver = true;
}
}
if(!valid13){
const err16 = {instancePath,schemaPath:"#/allOf/4/if",keyword:"if",params:{failingKeyword: "then"},message:"must match \"then\" schema",schema:schema35.allOf[4].if,parentSchema:schema35.allOf[4],data};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(props0 !== true && props4 !== undefined){
if(props4 === true){
props0 = true;
}
else {
props0 = props0 || {};
Object.assign(props0, props4);
}
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key1 in data){
if(!(func1.call(schema35.properties, key1))){
const err17 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties",schema:false,parentSchema:schema35,data};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.driver !== undefined){
let data9 = data.driver;
if(!((((data9 === "docker") || (data9 === "docker-container")) || (data9 === "kubernetes")) || (data9 === "remote"))){
const err18 = {instancePath:instancePath+"/driver",schemaPath:"#/properties/driver/enum",keyword:"enum",params:{allowedValues: schema35.properties.driver.enum},message:"must be equal to one of the allowed values",schema:schema35.properties.driver.enum,parentSchema:schema35.properties.driver,data:data9};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data["driver-opts"] !== undefined){
let data10 = data["driver-opts"];
if(!(data10 && typeof data10 == "object" && !Array.isArray(data10))){
const err19 = {instancePath:instancePath+"/driver-opts",schemaPath:"#/properties/driver-opts/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema35.properties["driver-opts"].type,parentSchema:schema35.properties["driver-opts"],data:data10};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data.endpoint !== undefined){
let data11 = data.endpoint;
if(typeof data11 !== "string"){
const err20 = {instancePath:instancePath+"/endpoint",schemaPath:"#/properties/endpoint/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema35.properties.endpoint.type,parentSchema:schema35.properties.endpoint,data:data11};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.platforms !== undefined){
let data12 = data.platforms;
if(Array.isArray(data12)){
const len0 = data12.length;
for(let i0=0; i0<len0; i0++){
let data13 = data12[i0];
if(typeof data13 !== "string"){
const err21 = {instancePath:instancePath+"/platforms/" + i0,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data13};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
else {
const err22 = {instancePath:instancePath+"/platforms",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data12};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data["buildkitd-config"] !== undefined){
let data14 = data["buildkitd-config"];
if(typeof data14 !== "string"){
const err23 = {instancePath:instancePath+"/buildkitd-config",schemaPath:"#/properties/buildkitd-config/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema35.properties["buildkitd-config"].type,parentSchema:schema35.properties["buildkitd-config"],data:data14};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
if(data["buildkitd-config-inline"] !== undefined){
let data15 = data["buildkitd-config-inline"];
if(typeof data15 !== "string"){
const err24 = {instancePath:instancePath+"/buildkitd-config-inline",schemaPath:"#/properties/buildkitd-config-inline/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema35.properties["buildkitd-config-inline"].type,parentSchema:schema35.properties["buildkitd-config-inline"],data:data15};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data["buildkitd-flags"] !== undefined){
let data16 = data["buildkitd-flags"];
if(typeof data16 !== "string"){
const err25 = {instancePath:instancePath+"/buildkitd-flags",schemaPath:"#/properties/buildkitd-flags/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema35.properties["buildkitd-flags"].type,parentSchema:schema35.properties["buildkitd-flags"],data:data16};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
if(data.parallelism !== undefined){
let data17 = data.parallelism;
if(!(((typeof data17 == "number") && (!(data17 % 1) && !isNaN(data17))) && (isFinite(data17)))){
const err26 = {instancePath:instancePath+"/parallelism",schemaPath:"#/properties/parallelism/type",keyword:"type",params:{type: "integer"},message:"must be integer",schema:schema35.properties.parallelism.type,parentSchema:schema35.properties.parallelism,data:data17};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
if((typeof data17 == "number") && (isFinite(data17))){
if(data17 < 1 || isNaN(data17)){
const err27 = {instancePath:instancePath+"/parallelism",schemaPath:"#/properties/parallelism/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1",schema:1,parentSchema:schema35.properties.parallelism,data:data17};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
}
if(data.push !== undefined){
let data18 = data.push;
if(!((data18 === "all") || (data18 === "each"))){
const err28 = {instancePath:instancePath+"/push",schemaPath:"#/properties/push/enum",keyword:"enum",params:{allowedValues: schema35.properties.push.enum},message:"must be equal to one of the allowed values",schema:schema35.properties.push.enum,parentSchema:schema35.properties.push,data:data18};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.description !== undefined){
let data19 = data.description;
if(typeof data19 !== "string"){
const err29 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema35.properties.description.type,parentSchema:schema35.properties.description,data:data19};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
if(data.nodes !== undefined){
let data20 = data.nodes;
if(Array.isArray(data20)){
if(data20.length < 1){
const err30 = {instancePath:instancePath+"/nodes",schemaPath:"#/properties/nodes/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items",schema:1,parentSchema:schema35.properties.nodes,data:data20};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
const len1 = data20.length;
for(let i1=0; i1<len1; i1++){
if(!(validate31(data20[i1], {instancePath:instancePath+"/nodes/" + i1,parentData:data20,parentDataProperty:i1,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate31.errors : vErrors.concat(validate31.errors);
errors = vErrors.length;
}
}
}
else {
const err31 = {instancePath:instancePath+"/nodes",schemaPath:"#/properties/nodes/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema35.properties.nodes.type,parentSchema:schema35.properties.nodes,data:data20};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
else {
const err32 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema35.type,parentSchema:schema35,data};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
validate24.errors = vErrors;
return errors === 0;
}
validate24.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};


function validate23(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate23.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
const _errs1 = errors;
if(typeof key0 === "string"){
if(!pattern5.test(key0)){
const err0 = {instancePath,schemaPath:"#/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},message:"must match pattern \""+"^[A-Za-z0-9][A-Za-z0-9_.-]*$"+"\"",schema:"^[A-Za-z0-9][A-Za-z0-9_.-]*$",parentSchema:schema34.propertyNames,data:key0,propertyName:key0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
var valid0 = _errs1 === errors;
if(!valid0){
const err1 = {instancePath,schemaPath:"#/propertyNames",keyword:"propertyNames",params:{propertyName: key0},message:"property name must be valid",schema:schema34.propertyNames,parentSchema:schema34,data};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
for(const key1 in data){
if(!(validate24(data[key1], {instancePath:instancePath+"/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data,parentDataProperty:key1,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
}
}
else {
const err2 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema34.type,parentSchema:schema34,data};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
validate23.errors = vErrors;
return errors === 0;
}
validate23.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

const schema68 = {"type":"object","title":"a map with targets and description","properties":{"targets":{"$ref":"#/$defs/stringList","description":"Targets and groups built by this group."},"description":{"type":"string","description":"What the group is for."}},"additionalProperties":false};

function validate38(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate38.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((key0 === "targets") || (key0 === "description"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema68,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.targets !== undefined){
let data0 = data.targets;
if(Array.isArray(data0)){
const len0 = data0.length;
for(let i0=0; i0<len0; i0++){
let data1 = data0[i0];
if(typeof data1 !== "string"){
const err1 = {instancePath:instancePath+"/targets/" + i0,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data1};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
else {
const err2 = {instancePath:instancePath+"/targets",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.description !== undefined){
let data2 = data.description;
if(typeof data2 !== "string"){
const err3 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema68.properties.description.type,parentSchema:schema68.properties.description,data:data2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
}
else {
const err4 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema68.type,parentSchema:schema68,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
validate38.errors = vErrors;
return errors === 0;
}
validate38.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

const schema70 = {"type":"object","title":"a target definition (a map with context, dockerfile, tags, …)","properties":{"context":{"type":"string","description":"Build context: a directory (relative to the config file's directory) or a URL. Default \".\"."},"contexts":{"$ref":"#/$defs/stringMap","description":"Named contexts: a directory, URL, docker-image://ref or target:NAME."},"dockerfile":{"type":"string","description":"Dockerfile path, relative to the context. Default Dockerfile."},"dockerfile-inline":{"type":"string","description":"Dockerfile contents; wins over dockerfile."},"args":{"$ref":"#/$defs/nullableScalarMap","description":"Build arguments; null keeps the Dockerfile's default."},"labels":{"$ref":"#/$defs/nullableScalarMap","description":"Image labels."},"tags":{"$ref":"#/$defs/stringList","description":"Image names and tags, e.g. registry/app:1.0."},"platforms":{"$ref":"#/$defs/stringList","description":"Target platforms, e.g. linux/amd64."},"target":{"type":"string","description":"Dockerfile stage to build."},"cache-from":{"$ref":"#/$defs/csvOrObjectList","description":"Cache sources, e.g. type=registry,ref=… ."},"cache-to":{"$ref":"#/$defs/csvOrObjectList","description":"Cache exports, e.g. type=inline or type=local,dest=… ."},"output":{"$ref":"#/$defs/csvOrObjectList","description":"Outputs, e.g. type=local,dest=out or type=image,push=true."},"secret":{"$ref":"#/$defs/csvOrObjectList","description":"Secrets, e.g. id=npm,src=~/.npmrc or type=env,id=TOKEN."},"ssh":{"$ref":"#/$defs/csvOrObjectList","description":"SSH agent sockets or keys, e.g. default."},"no-cache":{"type":"boolean","description":"Build without the cache."},"no-cache-filter":{"$ref":"#/$defs/stringList","description":"Stages built without the cache."},"pull":{"type":"boolean","description":"Always pull base images."},"network":{"type":"string","description":"Network mode of RUN steps: default, none or host."},"shm-size":{"type":"string","description":"Size of /dev/shm of RUN steps, e.g. 128m."},"ulimits":{"$ref":"#/$defs/stringList","description":"Ulimits of RUN steps, e.g. nofile=1024:1024."},"extra-hosts":{"$ref":"#/$defs/stringMap","description":"Extra /etc/hosts entries: host: ip."},"annotations":{"$ref":"#/$defs/stringList","description":"OCI annotations, e.g. index,manifest:org.opencontainers.image.title=app."},"attest":{"$ref":"#/$defs/csvOrObjectList","description":"Attestations, e.g. type=sbom or type=provenance,mode=max."},"entitlements":{"$ref":"#/$defs/stringList","description":"Extra privileges, e.g. network.host, security.insecure."},"call":{"type":"string","description":"Frontend method: build (default), check, outline or targets."},"description":{"type":"string","description":"What the target is for."},"inherits":{"$ref":"#/$defs/stringList","description":"Targets whose attributes this one starts from; the last wins."},"matrix":{"type":"object","title":"a map of axis: list of values","description":"Axes of values; the target is forked once per combination, and ${axis} is replaced in its strings.","propertyNames":{"pattern":"^[A-Za-z_][A-Za-z0-9_]*$","description":"letters, digits and _, not starting with a digit"},"additionalProperties":{"type":"array","title":"a list of strings, numbers or booleans","items":{"type":["string","number","boolean"]}}},"name":{"type":"string","description":"Name template of the forks of a matrix target, e.g. app-${tgt}."},"builder":{"type":"string","description":"tsbake: name of the builder for this target (default: default-builder)."},"depends-on":{"$ref":"#/$defs/stringList","description":"tsbake: targets that must finish before this one starts."}},"additionalProperties":false};
const schema71 = {"title":"a map of strings","type":"object","additionalProperties":{"type":"string"}};
const schema72 = {"title":"a map of strings (null keeps the Dockerfile's default)","type":"object","additionalProperties":{"type":["string","number","boolean","null"]}};
const schema76 = {"title":"a list of CSV strings (type=…,key=value) or maps","type":"array","items":{"$ref":"#/$defs/csvOrObject"}};
const schema77 = {"title":"a CSV string (type=…,key=value) or a map of key: value","anyOf":[{"type":"string"},{"type":"object","additionalProperties":{"type":["string","number","boolean"]}}]};

function validate41(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate41.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(Array.isArray(data)){
const len0 = data.length;
for(let i0=0; i0<len0; i0++){
let data0 = data[i0];
const _errs3 = errors;
let valid3 = false;
const _errs4 = errors;
if(typeof data0 !== "string"){
const err0 = {instancePath:instancePath+"/" + i0,schemaPath:"#/$defs/csvOrObject/anyOf/0/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema77.anyOf[0].type,parentSchema:schema77.anyOf[0],data:data0};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
var _valid0 = _errs4 === errors;
valid3 = valid3 || _valid0;
const _errs6 = errors;
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
for(const key0 in data0){
let data1 = data0[key0];
if(((typeof data1 !== "string") && (!((typeof data1 == "number") && (isFinite(data1))))) && (typeof data1 !== "boolean")){
const err1 = {instancePath:instancePath+"/" + i0+"/" + key0.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/csvOrObject/anyOf/1/additionalProperties/type",keyword:"type",params:{type: schema77.anyOf[1].additionalProperties.type},message:"must be string,number,boolean",schema:schema77.anyOf[1].additionalProperties.type,parentSchema:schema77.anyOf[1].additionalProperties,data:data1};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
}
else {
const err2 = {instancePath:instancePath+"/" + i0,schemaPath:"#/$defs/csvOrObject/anyOf/1/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema77.anyOf[1].type,parentSchema:schema77.anyOf[1],data:data0};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
var _valid0 = _errs6 === errors;
valid3 = valid3 || _valid0;
if(!valid3){
const err3 = {instancePath:instancePath+"/" + i0,schemaPath:"#/$defs/csvOrObject/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf",schema:schema77.anyOf,parentSchema:schema77,data:data0};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
else {
errors = _errs3;
if(vErrors !== null){
if(_errs3){
vErrors.length = _errs3;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err4 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema76.type,parentSchema:schema76,data};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
validate41.errors = vErrors;
return errors === 0;
}
validate41.evaluated = {"items":true,"dynamicProps":false,"dynamicItems":false};


function validate40(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate40.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(func1.call(schema70.properties, key0))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema70,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.context !== undefined){
let data0 = data.context;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/context",schemaPath:"#/properties/context/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.context.type,parentSchema:schema70.properties.context,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.contexts !== undefined){
let data1 = data.contexts;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key1 in data1){
let data2 = data1[key1];
if(typeof data2 !== "string"){
const err2 = {instancePath:instancePath+"/contexts/" + key1.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/stringMap/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema71.additionalProperties.type,parentSchema:schema71.additionalProperties,data:data2};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
}
else {
const err3 = {instancePath:instancePath+"/contexts",schemaPath:"#/$defs/stringMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema71.type,parentSchema:schema71,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.dockerfile !== undefined){
let data3 = data.dockerfile;
if(typeof data3 !== "string"){
const err4 = {instancePath:instancePath+"/dockerfile",schemaPath:"#/properties/dockerfile/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.dockerfile.type,parentSchema:schema70.properties.dockerfile,data:data3};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data["dockerfile-inline"] !== undefined){
let data4 = data["dockerfile-inline"];
if(typeof data4 !== "string"){
const err5 = {instancePath:instancePath+"/dockerfile-inline",schemaPath:"#/properties/dockerfile-inline/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties["dockerfile-inline"].type,parentSchema:schema70.properties["dockerfile-inline"],data:data4};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.args !== undefined){
let data5 = data.args;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
for(const key2 in data5){
let data6 = data5[key2];
if((((typeof data6 !== "string") && (!((typeof data6 == "number") && (isFinite(data6))))) && (typeof data6 !== "boolean")) && (data6 !== null)){
const err6 = {instancePath:instancePath+"/args/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/nullableScalarMap/additionalProperties/type",keyword:"type",params:{type: schema72.additionalProperties.type},message:"must be string,number,boolean,null",schema:schema72.additionalProperties.type,parentSchema:schema72.additionalProperties,data:data6};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath:instancePath+"/args",schemaPath:"#/$defs/nullableScalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema72.type,parentSchema:schema72,data:data5};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.labels !== undefined){
let data7 = data.labels;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
for(const key3 in data7){
let data8 = data7[key3];
if((((typeof data8 !== "string") && (!((typeof data8 == "number") && (isFinite(data8))))) && (typeof data8 !== "boolean")) && (data8 !== null)){
const err8 = {instancePath:instancePath+"/labels/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/nullableScalarMap/additionalProperties/type",keyword:"type",params:{type: schema72.additionalProperties.type},message:"must be string,number,boolean,null",schema:schema72.additionalProperties.type,parentSchema:schema72.additionalProperties,data:data8};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
else {
const err9 = {instancePath:instancePath+"/labels",schemaPath:"#/$defs/nullableScalarMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema72.type,parentSchema:schema72,data:data7};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.tags !== undefined){
let data9 = data.tags;
if(Array.isArray(data9)){
const len0 = data9.length;
for(let i0=0; i0<len0; i0++){
let data10 = data9[i0];
if(typeof data10 !== "string"){
const err10 = {instancePath:instancePath+"/tags/" + i0,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data10};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
}
else {
const err11 = {instancePath:instancePath+"/tags",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data9};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data.platforms !== undefined){
let data11 = data.platforms;
if(Array.isArray(data11)){
const len1 = data11.length;
for(let i1=0; i1<len1; i1++){
let data12 = data11[i1];
if(typeof data12 !== "string"){
const err12 = {instancePath:instancePath+"/platforms/" + i1,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data12};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
else {
const err13 = {instancePath:instancePath+"/platforms",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data11};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.target !== undefined){
let data13 = data.target;
if(typeof data13 !== "string"){
const err14 = {instancePath:instancePath+"/target",schemaPath:"#/properties/target/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.target.type,parentSchema:schema70.properties.target,data:data13};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data["cache-from"] !== undefined){
if(!(validate41(data["cache-from"], {instancePath:instancePath+"/cache-from",parentData:data,parentDataProperty:"cache-from",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data["cache-to"] !== undefined){
if(!(validate41(data["cache-to"], {instancePath:instancePath+"/cache-to",parentData:data,parentDataProperty:"cache-to",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data.output !== undefined){
if(!(validate41(data.output, {instancePath:instancePath+"/output",parentData:data,parentDataProperty:"output",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data.secret !== undefined){
if(!(validate41(data.secret, {instancePath:instancePath+"/secret",parentData:data,parentDataProperty:"secret",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data.ssh !== undefined){
if(!(validate41(data.ssh, {instancePath:instancePath+"/ssh",parentData:data,parentDataProperty:"ssh",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data["no-cache"] !== undefined){
let data19 = data["no-cache"];
if(typeof data19 !== "boolean"){
const err15 = {instancePath:instancePath+"/no-cache",schemaPath:"#/properties/no-cache/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema70.properties["no-cache"].type,parentSchema:schema70.properties["no-cache"],data:data19};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data["no-cache-filter"] !== undefined){
let data20 = data["no-cache-filter"];
if(Array.isArray(data20)){
const len2 = data20.length;
for(let i2=0; i2<len2; i2++){
let data21 = data20[i2];
if(typeof data21 !== "string"){
const err16 = {instancePath:instancePath+"/no-cache-filter/" + i2,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data21};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
else {
const err17 = {instancePath:instancePath+"/no-cache-filter",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data20};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.pull !== undefined){
let data22 = data.pull;
if(typeof data22 !== "boolean"){
const err18 = {instancePath:instancePath+"/pull",schemaPath:"#/properties/pull/type",keyword:"type",params:{type: "boolean"},message:"must be boolean",schema:schema70.properties.pull.type,parentSchema:schema70.properties.pull,data:data22};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.network !== undefined){
let data23 = data.network;
if(typeof data23 !== "string"){
const err19 = {instancePath:instancePath+"/network",schemaPath:"#/properties/network/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.network.type,parentSchema:schema70.properties.network,data:data23};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data["shm-size"] !== undefined){
let data24 = data["shm-size"];
if(typeof data24 !== "string"){
const err20 = {instancePath:instancePath+"/shm-size",schemaPath:"#/properties/shm-size/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties["shm-size"].type,parentSchema:schema70.properties["shm-size"],data:data24};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.ulimits !== undefined){
let data25 = data.ulimits;
if(Array.isArray(data25)){
const len3 = data25.length;
for(let i3=0; i3<len3; i3++){
let data26 = data25[i3];
if(typeof data26 !== "string"){
const err21 = {instancePath:instancePath+"/ulimits/" + i3,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data26};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
else {
const err22 = {instancePath:instancePath+"/ulimits",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data25};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
if(data["extra-hosts"] !== undefined){
let data27 = data["extra-hosts"];
if(data27 && typeof data27 == "object" && !Array.isArray(data27)){
for(const key4 in data27){
let data28 = data27[key4];
if(typeof data28 !== "string"){
const err23 = {instancePath:instancePath+"/extra-hosts/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/$defs/stringMap/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema71.additionalProperties.type,parentSchema:schema71.additionalProperties,data:data28};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath:instancePath+"/extra-hosts",schemaPath:"#/$defs/stringMap/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema71.type,parentSchema:schema71,data:data27};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.annotations !== undefined){
let data29 = data.annotations;
if(Array.isArray(data29)){
const len4 = data29.length;
for(let i4=0; i4<len4; i4++){
let data30 = data29[i4];
if(typeof data30 !== "string"){
const err25 = {instancePath:instancePath+"/annotations/" + i4,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data30};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
}
else {
const err26 = {instancePath:instancePath+"/annotations",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data29};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data.attest !== undefined){
if(!(validate41(data.attest, {instancePath:instancePath+"/attest",parentData:data,parentDataProperty:"attest",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate41.errors : vErrors.concat(validate41.errors);
errors = vErrors.length;
}
}
if(data.entitlements !== undefined){
let data32 = data.entitlements;
if(Array.isArray(data32)){
const len5 = data32.length;
for(let i5=0; i5<len5; i5++){
let data33 = data32[i5];
if(typeof data33 !== "string"){
const err27 = {instancePath:instancePath+"/entitlements/" + i5,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data33};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
}
else {
const err28 = {instancePath:instancePath+"/entitlements",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data32};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data.call !== undefined){
let data34 = data.call;
if(typeof data34 !== "string"){
const err29 = {instancePath:instancePath+"/call",schemaPath:"#/properties/call/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.call.type,parentSchema:schema70.properties.call,data:data34};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
if(data.description !== undefined){
let data35 = data.description;
if(typeof data35 !== "string"){
const err30 = {instancePath:instancePath+"/description",schemaPath:"#/properties/description/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.description.type,parentSchema:schema70.properties.description,data:data35};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data.inherits !== undefined){
let data36 = data.inherits;
if(Array.isArray(data36)){
const len6 = data36.length;
for(let i6=0; i6<len6; i6++){
let data37 = data36[i6];
if(typeof data37 !== "string"){
const err31 = {instancePath:instancePath+"/inherits/" + i6,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data37};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
else {
const err32 = {instancePath:instancePath+"/inherits",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data36};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.matrix !== undefined){
let data38 = data.matrix;
if(data38 && typeof data38 == "object" && !Array.isArray(data38)){
for(const key5 in data38){
const _errs89 = errors;
if(typeof key5 === "string"){
if(!pattern4.test(key5)){
const err33 = {instancePath:instancePath+"/matrix",schemaPath:"#/properties/matrix/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*$",parentSchema:schema70.properties.matrix.propertyNames,data:key5,propertyName:key5};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
var valid30 = _errs89 === errors;
if(!valid30){
const err34 = {instancePath:instancePath+"/matrix",schemaPath:"#/properties/matrix/propertyNames",keyword:"propertyNames",params:{propertyName: key5},message:"property name must be valid",schema:schema70.properties.matrix.propertyNames,parentSchema:schema70.properties.matrix,data:data38};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
for(const key6 in data38){
let data39 = data38[key6];
if(Array.isArray(data39)){
const len7 = data39.length;
for(let i7=0; i7<len7; i7++){
let data40 = data39[i7];
if(((typeof data40 !== "string") && (!((typeof data40 == "number") && (isFinite(data40))))) && (typeof data40 !== "boolean")){
const err35 = {instancePath:instancePath+"/matrix/" + key6.replace(/~/g, "~0").replace(/\//g, "~1")+"/" + i7,schemaPath:"#/properties/matrix/additionalProperties/items/type",keyword:"type",params:{type: schema70.properties.matrix.additionalProperties.items.type},message:"must be string,number,boolean",schema:schema70.properties.matrix.additionalProperties.items.type,parentSchema:schema70.properties.matrix.additionalProperties.items,data:data40};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
}
else {
const err36 = {instancePath:instancePath+"/matrix/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/matrix/additionalProperties/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema70.properties.matrix.additionalProperties.type,parentSchema:schema70.properties.matrix.additionalProperties,data:data39};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
else {
const err37 = {instancePath:instancePath+"/matrix",schemaPath:"#/properties/matrix/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema70.properties.matrix.type,parentSchema:schema70.properties.matrix,data:data38};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data.name !== undefined){
let data41 = data.name;
if(typeof data41 !== "string"){
const err38 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.name.type,parentSchema:schema70.properties.name,data:data41};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
if(data.builder !== undefined){
let data42 = data.builder;
if(typeof data42 !== "string"){
const err39 = {instancePath:instancePath+"/builder",schemaPath:"#/properties/builder/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema70.properties.builder.type,parentSchema:schema70.properties.builder,data:data42};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
if(data["depends-on"] !== undefined){
let data43 = data["depends-on"];
if(Array.isArray(data43)){
const len8 = data43.length;
for(let i8=0; i8<len8; i8++){
let data44 = data43[i8];
if(typeof data44 !== "string"){
const err40 = {instancePath:instancePath+"/depends-on/" + i8,schemaPath:"#/$defs/stringList/items/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema63.items.type,parentSchema:schema63.items,data:data44};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
}
else {
const err41 = {instancePath:instancePath+"/depends-on",schemaPath:"#/$defs/stringList/type",keyword:"type",params:{type: "array"},message:"must be array",schema:schema63.type,parentSchema:schema63,data:data43};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
}
else {
const err42 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema70.type,parentSchema:schema70,data};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
validate40.errors = vErrors;
return errors === 0;
}
validate40.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};


function validate20(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
/*# sourceURL="https://github.com/tsbake/tsbake/schema/tsbake.schema.json" */;
let vErrors = null;
let errors = 0;
const evaluated0 = validate20.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!((((((key0 === "$schema") || (key0 === "variable")) || (key0 === "builder")) || (key0 === "default-builder")) || (key0 === "group")) || (key0 === "target"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema31,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.$schema !== undefined){
let data0 = data.$schema;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema31.properties.$schema.type,parentSchema:schema31.properties.$schema,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.variable !== undefined){
let data1 = data.variable;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key1 in data1){
const _errs6 = errors;
if(typeof key1 === "string"){
if(!pattern4.test(key1)){
const err2 = {instancePath:instancePath+"/variable",schemaPath:"#/properties/variable/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\"",schema:"^[A-Za-z_][A-Za-z0-9_]*$",parentSchema:schema31.properties.variable.propertyNames,data:key1,propertyName:key1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
var valid1 = _errs6 === errors;
if(!valid1){
const err3 = {instancePath:instancePath+"/variable",schemaPath:"#/properties/variable/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid",schema:schema31.properties.variable.propertyNames,parentSchema:schema31.properties.variable,data:data1};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
for(const key2 in data1){
if(!(validate21(data1[key2], {instancePath:instancePath+"/variable/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data1,parentDataProperty:key2,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate21.errors : vErrors.concat(validate21.errors);
errors = vErrors.length;
}
}
}
else {
const err4 = {instancePath:instancePath+"/variable",schemaPath:"#/properties/variable/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema31.properties.variable.type,parentSchema:schema31.properties.variable,data:data1};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.builder !== undefined){
if(!(validate23(data.builder, {instancePath:instancePath+"/builder",parentData:data,parentDataProperty:"builder",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
errors = vErrors.length;
}
}
if(data["default-builder"] !== undefined){
let data4 = data["default-builder"];
if(typeof data4 !== "string"){
const err5 = {instancePath:instancePath+"/default-builder",schemaPath:"#/$defs/defaultBuilder/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema67.type,parentSchema:schema67,data:data4};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.group !== undefined){
let data5 = data.group;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
for(const key3 in data5){
const _errs15 = errors;
if(typeof key3 === "string"){
if(!pattern16.test(key3)){
const err6 = {instancePath:instancePath+"/group",schemaPath:"#/properties/group/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_-]+$"+"\"",schema:"^[A-Za-z0-9_-]+$",parentSchema:schema31.properties.group.propertyNames,data:key3,propertyName:key3};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
var valid4 = _errs15 === errors;
if(!valid4){
const err7 = {instancePath:instancePath+"/group",schemaPath:"#/properties/group/propertyNames",keyword:"propertyNames",params:{propertyName: key3},message:"property name must be valid",schema:schema31.properties.group.propertyNames,parentSchema:schema31.properties.group,data:data5};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
for(const key4 in data5){
if(!(validate38(data5[key4], {instancePath:instancePath+"/group/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data5,parentDataProperty:key4,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate38.errors : vErrors.concat(validate38.errors);
errors = vErrors.length;
}
}
}
else {
const err8 = {instancePath:instancePath+"/group",schemaPath:"#/properties/group/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema31.properties.group.type,parentSchema:schema31.properties.group,data:data5};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.target !== undefined){
let data7 = data.target;
if(data7 && typeof data7 == "object" && !Array.isArray(data7)){
for(const key5 in data7){
const _errs20 = errors;
if(typeof key5 === "string"){
if(!pattern16.test(key5)){
const err9 = {instancePath:instancePath+"/target",schemaPath:"#/properties/target/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9_-]+$"},message:"must match pattern \""+"^[A-Za-z0-9_-]+$"+"\"",schema:"^[A-Za-z0-9_-]+$",parentSchema:schema31.properties.target.propertyNames,data:key5,propertyName:key5};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
var valid6 = _errs20 === errors;
if(!valid6){
const err10 = {instancePath:instancePath+"/target",schemaPath:"#/properties/target/propertyNames",keyword:"propertyNames",params:{propertyName: key5},message:"property name must be valid",schema:schema31.properties.target.propertyNames,parentSchema:schema31.properties.target,data:data7};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
for(const key6 in data7){
if(!(validate40(data7[key6], {instancePath:instancePath+"/target/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data7,parentDataProperty:key6,rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate40.errors : vErrors.concat(validate40.errors);
errors = vErrors.length;
}
}
}
else {
const err11 = {instancePath:instancePath+"/target",schemaPath:"#/properties/target/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema31.properties.target.type,parentSchema:schema31.properties.target,data:data7};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
else {
const err12 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema31.type,parentSchema:schema31,data};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
validate20.errors = vErrors;
return errors === 0;
}
validate20.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};

export const validateBuildersFile = validate49;
const schema85 = {"title":"a builders.yaml file","description":"builders.yaml beside the first config file: only builder and default-builder.","type":"object","properties":{"$schema":{"type":"string","description":"URL or path of this JSON Schema, for editors. Ignored by tsbake."},"builder":{"$ref":"#/$defs/builders","description":"BuildKit builders, by name. A config file's own builder of the same name replaces one from here."},"default-builder":{"$ref":"#/$defs/defaultBuilder","description":"Name of the builder used by targets that name none, unless the config file sets its own."}},"additionalProperties":false};

function validate49(data, {instancePath="", parentData, parentDataProperty, rootData=data, dynamicAnchors={}}={}){
let vErrors = null;
let errors = 0;
const evaluated0 = validate49.evaluated;
if(evaluated0.dynamicProps){
evaluated0.props = undefined;
}
if(evaluated0.dynamicItems){
evaluated0.items = undefined;
}
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((key0 === "$schema") || (key0 === "builder")) || (key0 === "default-builder"))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties",schema:false,parentSchema:schema85,data};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.$schema !== undefined){
let data0 = data.$schema;
if(typeof data0 !== "string"){
const err1 = {instancePath:instancePath+"/$schema",schemaPath:"#/properties/%24schema/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema85.properties.$schema.type,parentSchema:schema85.properties.$schema,data:data0};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.builder !== undefined){
if(!(validate23(data.builder, {instancePath:instancePath+"/builder",parentData:data,parentDataProperty:"builder",rootData,dynamicAnchors}))){
vErrors = vErrors === null ? validate23.errors : vErrors.concat(validate23.errors);
errors = vErrors.length;
}
}
if(data["default-builder"] !== undefined){
let data2 = data["default-builder"];
if(typeof data2 !== "string"){
const err2 = {instancePath:instancePath+"/default-builder",schemaPath:"#/$defs/defaultBuilder/type",keyword:"type",params:{type: "string"},message:"must be string",schema:schema67.type,parentSchema:schema67,data:data2};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
}
else {
const err3 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object",schema:schema85.type,parentSchema:schema85,data};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
validate49.errors = vErrors;
return errors === 0;
}
validate49.evaluated = {"props":true,"dynamicProps":false,"dynamicItems":false};
