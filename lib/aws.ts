// Entry point `cdktf-apache-wsgi/aws`: the EC2 host, kept out of the main entry
// so that a site without AWS does not need @cdktf/provider-aws (~360 MB).
export * from './ec2-host';
export * from './ec2-fleet';
export * from './https-load-balancer';
export * from './ecs-fargate-host';
