-- AlterTable
ALTER TABLE "run" ADD COLUMN     "archivedAt" TIMESTAMP(3),
ADD COLUMN     "name" TEXT,
ADD COLUMN     "notes" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

