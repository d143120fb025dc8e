// Entry point `cdktf-apache-wsgi/docker`: the Docker host, kept out of the main
// entry so that a site without Docker does not need @cdktf/provider-docker.
export * from './docker-host';
