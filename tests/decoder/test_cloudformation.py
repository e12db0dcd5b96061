"""deploy/aws/cloudformation.yaml read as CloudFormation reads it: every !Ref, !GetAtt, !Sub
name and condition is defined, the rules take the topics the gateway publishes on, the Lambda's
handler and variables are the ones deploy/aws/lambda/handler.py reads, and raw bundles age into
Glacier Deep Archive."""

import os
import re
import unittest

import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TEMPLATE = os.path.join(ROOT, "deploy", "aws", "cloudformation.yaml")


class Tag:
    def __init__(self, name, value):
        self.name, self.value = name, value


class CloudFormationLoader(yaml.SafeLoader):
    pass


def construct_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tag(suffix, value)


CloudFormationLoader.add_multi_constructor("!", construct_tag)


def walk(node):
    yield node
    if isinstance(node, Tag):
        yield from walk(node.value)
    elif isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


class TemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(TEMPLATE) as source:
            cls.template = yaml.load(source, Loader=CloudFormationLoader)
        cls.resources = cls.template["Resources"]
        cls.names = set(cls.resources) | set(cls.template["Parameters"])

    def test_every_reference_and_condition_is_defined(self):
        pseudo = {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::NoValue"}
        conditions = set(self.template["Conditions"])
        for node in walk(self.template):
            if not isinstance(node, Tag):
                continue
            if node.name == "Ref":
                self.assertIn(node.value, self.names | pseudo)
            elif node.name == "GetAtt":
                self.assertIn(node.value.split(".")[0], self.resources)
            elif node.name == "Sub":
                for name in re.findall(r"\$\{([^}!]+)\}", node.value):
                    self.assertIn(name.split(".")[0], self.names | pseudo)
            elif node.name == "If":
                self.assertIn(node.value[0], conditions)
        for name, resource in self.resources.items():
            if "Condition" in resource:
                self.assertIn(resource["Condition"], conditions, name)

    def test_the_telemetry_rule_is_the_basic_ingest_name_and_feeds_the_decoder(self):
        rule = self.resources["TelemetryRule"]["Properties"]
        self.assertEqual(rule["RuleName"], "edgegw_telemetry")
        payload = rule["TopicRulePayload"]
        # The gateway's default telemetry topic; a binary payload reaches a Lambda base64-encoded
        # under the name handler.py reads.
        self.assertIn("FROM 'edgegw/+/telemetry'", payload["Sql"])
        self.assertIn("encode(*, 'base64') AS bundle", payload["Sql"])
        self.assertIn("topic() AS topic", payload["Sql"])
        actions = [next(iter(a)) for a in payload["Actions"]]
        self.assertEqual(sorted(actions), ["Lambda", "S3"])
        self.assertIn("DecoderInvokedByRule", self.resources)

    def test_the_lambda_runs_the_handler_with_the_variables_it_reads(self):
        decoder = self.resources["Decoder"]["Properties"]
        self.assertEqual(decoder["Handler"], "handler.lambda_handler")
        with open(os.path.join(ROOT, "deploy", "aws", "lambda", "handler.py")) as source:
            read = set(re.findall(r'environ(?:\.get\()?\[?"([A-Z_]+)"', source.read()))
        self.assertEqual(read, set(decoder["Environment"]["Variables"]))

    def test_the_ledger_is_keyed_as_the_ledger_writes_and_expires(self):
        table = self.resources["BundleLedger"]["Properties"]
        self.assertEqual([(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]],
                         [("gateway_id", "HASH"), ("bundle_seq", "RANGE")])
        self.assertEqual(table["TimeToLiveSpecification"]["AttributeName"], "expires_at")

    def test_raw_bundles_move_to_deep_archive(self):
        rules = self.resources["BundleArchive"]["Properties"]["LifecycleConfiguration"]["Rules"]
        self.assertEqual(rules[0]["Transitions"][0]["StorageClass"], "DEEP_ARCHIVE")
        archive = next(a["S3"] for a in self.resources["TelemetryRule"]["Properties"]
                       ["TopicRulePayload"]["Actions"] if "S3" in a)
        self.assertTrue(archive["Key"].startswith(rules[0]["Prefix"]))

    def test_the_disarm_answer_is_a_command_document_on_the_commands_topic(self):
        rule = self.resources["DisarmRule"]["Properties"]["TopicRulePayload"]
        self.assertIn("AS id", rule["Sql"])
        self.assertIn("AS args", rule["Sql"])
        self.assertIn("FROM 'edgegw/+/alarms'", rule["Sql"])
        self.assertEqual(rule["Actions"][0]["Republish"]["Topic"],
                         "edgegw/${topic(2)}/commands/disarm")


if __name__ == "__main__":
    unittest.main()
