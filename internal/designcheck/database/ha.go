package database

import (
	"slices"
	"strconv"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// maxScalingTier is the highest promotion tier whose Aurora Serverless v2
// readers scale with the writer ("For readers in promotion tiers 0 and 1,
// the minimum capacity is defined by the current writer capacity", Aurora
// User Guide, "How Aurora Serverless v2 works"): a reader in tiers 2–15
// may idle at the minimum while the writer is busy, and be too small for
// the writer's load the moment it is promoted.
const maxScalingTier = 1

// checkHA: each cluster has its first instance plus DbReaderInstances
// readers, every one in promotion tier 0 or 1 and in an AZ of the DB
// subnet group; the readers are created after the first instance (so it
// becomes the writer) and in another subnet's AZ than it; the [primary]
// and [secondary] environments deploy at least one reader and the
// development stack none.
func checkHA(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		clusters := d.OfType("AWS::RDS::DBCluster")
		if len(clusters) != 1 {
			continue // the secondary-cluster check reports it
		}
		c := clusters[0]
		subnets := dbSubnets(d, c)
		var first *designcheck.Resource
		var readers []*designcheck.Resource
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			if !designcheck.IsRef(i.Prop("DBClusterIdentifier"), c.Name) {
				continue
			}
			if dependsOnInstance(d, i) {
				readers = append(readers, i)
			} else if first == nil {
				first = i
			} else {
				r.AddIn(d, "Resources."+i.Name, "two instances (%s, %s) are created at once: readers must DependsOn the first instance, so that it becomes the writer", first.Name, i.Name)
			}
		}
		want, err := strconv.Atoi(d.Params["DbReaderInstances"])
		if err != nil {
			r.AddIn(d, "Parameters.DbReaderInstances", "%q is not a count of readers", d.Params["DbReaderInstances"])
		} else if len(readers) != want {
			r.AddIn(d, "Resources."+c.Name, "DbReaderInstances=%d but the cluster gets %d reader(s)", want, len(readers))
		}
		if first == nil {
			continue // the secondary-cluster check reports a cluster without instances
		}
		firstSubnet := instanceSubnet(first, subnets)
		for _, i := range append([]*designcheck.Resource{first}, readers...) {
			where := "Resources." + i.Name
			if tier, err := strconv.Atoi(designcheck.StrValue(i.Prop("PromotionTier"))); err != nil || tier < 0 || tier > maxScalingTier {
				r.AddIn(d, where, "PromotionTier %q: want 0 to %d, so a Serverless v2 reader scales with the writer and can take its load when promoted", designcheck.StrValue(i.Prop("PromotionTier")), maxScalingTier)
			}
			if instanceSubnet(i, subnets) == "" {
				r.AddIn(d, where, "AvailabilityZone must be !GetAtt <subnet of %s's DB subnet group>.AvailabilityZone, got %s", c.Name, designcheck.Render(i.Prop("AvailabilityZone")))
			}
		}
		for _, i := range readers {
			if s := instanceSubnet(i, subnets); s != "" && s == firstSubnet {
				r.AddIn(d, "Resources."+i.Name, "in the same AZ as %s (%s): an AZ fault would take the writer and its failover target", first.Name, s)
			}
		}
	}
	checkReaderEnvs(in, r)
}

// dbSubnets returns the subnets of the cluster's DB subnet group.
func dbSubnets(d *designcheck.Deployment, c *designcheck.Resource) map[string]bool {
	group, _ := designcheck.RefTarget(c.Prop("DBSubnetGroupName"))
	g := d.Resource(group)
	if g == nil {
		return map[string]bool{}
	}
	return designcheck.RefSet(g.Prop("SubnetIds"))
}

// instanceSubnet returns the subnet whose AZ the instance names with
// !GetAtt <subnet>.AvailabilityZone, "" when it names none of subnets.
func instanceSubnet(i *designcheck.Resource, subnets map[string]bool) string {
	res, attr, ok := designcheck.GetAttTarget(i.Prop("AvailabilityZone"))
	if !ok || attr != "AvailabilityZone" || !subnets[res] {
		return ""
	}
	return res
}

// dependsOnInstance reports whether i waits for another DB instance.
func dependsOnInstance(d *designcheck.Deployment, i *designcheck.Resource) bool {
	return slices.ContainsFunc(i.DependsOn, func(n string) bool {
		other := d.Resource(n)
		return other != nil && other.Type == "AWS::RDS::DBInstance"
	})
}

// checkReaderEnvs: the [primary] and [secondary] environments deploy
// readers, the development stack none (as samconfig.toml's deploy
// overrides say; a missing override is the parameter's default).
func checkReaderEnvs(in *designcheck.Input, r *designcheck.Report) {
	if in.SamConfig == nil {
		return // the samconfig check reports it
	}
	def := ""
	if p := in.Source.Parameter("DbReaderInstances"); p != nil && p.Default != nil {
		def = *p.Default
	}
	for _, name := range append(slices.Clone(designcheck.ReaderEnvs), "default") {
		env, ok := in.SamConfig.Envs[name]
		if !ok {
			continue
		}
		ov, err := env.Params("deploy").ParameterOverrides()
		if err != nil {
			continue
		}
		v, set := ov["DbReaderInstances"]
		if !set {
			v = def
		}
		n, _ := strconv.Atoi(v)
		switch {
		case name != "default" && n < 1:
			r.Add("samconfig.toml ["+name+"]", "DbReaderInstances=%q: the %s environment needs a reader (in-region failover target)", v, name)
		case name == "default" && v != designcheck.DevReaderCount:
			r.Add("samconfig.toml [default]", "DbReaderInstances=%q: the development stack runs without readers (%s)", v, designcheck.DevReaderCount)
		}
	}
}
