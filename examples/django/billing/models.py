"""The region silo: what an organization owns.

References into the control silo are what a split has to handle. Some already have no
constraint (`db_constraint=False`, as Sentry's `HybridCloudForeignKey` is a plain column); one
keeps its constraint (`AuditEntry.organization`), which Django creates as `NO ACTION DEFERRABLE
INITIALLY DEFERRED` whatever `on_delete` says: the ORM, not the database, does the delete.
"""
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import Organization, User


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, db_constraint=False
    )
    name = models.CharField(max_length=64)


class BillingProfile(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, db_constraint=False
    )
    vat_number = models.CharField(max_length=32, blank=True)


class Invoice(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, db_constraint=False
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT)
    paid_at = models.DateTimeField()


class Subscription(models.Model):
    owner = models.ForeignKey(User, on_delete=models.PROTECT, db_constraint=False)
    plan = models.CharField(max_length=16)


class AuditEntry(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    actor = models.ForeignKey(User, on_delete=models.DO_NOTHING, db_constraint=False)
    event = models.CharField(max_length=32)


class Tag(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    label = models.CharField(max_length=32)
