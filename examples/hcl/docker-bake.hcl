# An HCL bake file, as docker buildx bake reads it: variables (TAG=v2 tsbake run overrides), a function,
# inherits, a matrix, and a `target:` context. `tsbake print` shows what `docker buildx bake --print` does.
variable "TAG" {
  default = "dev"
}

variable "REPO" {
  default = "example/hcl"
  description = "image repository prefix"
}

function "image" {
  params = [name, flavor]
  result = "${REPO}-${name}:${TAG}${flavor == "" ? "" : "-${flavor}"}"
}

target "_common" {
  args = {
    BUILT_BY = "tsbake"
  }
  labels = {
    "org.opencontainers.image.version" = TAG
  }
}

target "base" {
  inherits = ["_common"]
  context = "base"
  tags = [image("base", "")]
}

target "app" {
  inherits = ["_common"]
  name = "app-${flavor}"
  matrix = {
    flavor = ["slim", "full"]
  }
  context = "app"
  contexts = {
    base = "target:base"
  }
  args = {
    FLAVOR = flavor
  }
  tags = [image("app", flavor)]
}

group "default" {
  targets = ["app"]
}
